//! The SVG plot in BENCHMARKS.md: throughput against the limits on the
//! left, latency percentiles on the right.

use std::path::Path;

use hdrhistogram::Histogram;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::Error;
use crate::results::{Results, Run};

/// Percentiles plotted on the latency curves, as quantiles.
const QUANTILES: [f64; 9] = [0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999];

const LIMIT: RGBColor = RGBColor(150, 150, 150);
const OURS: RGBColor = RGBColor(47, 128, 237);
const SCREEN: RGBColor = RGBColor(235, 87, 87);
const FULL: RGBColor = RGBColor(242, 153, 74);
const HIGH: RGBColor = RGBColor(155, 81, 224);

/// Draws the plot to `path`.
pub fn draw(results: &Results, path: &Path) -> Result<(), Error> {
    draw_svg(results, path).map_err(|e| Error::Plot(e.to_string()))
}

fn draw_svg(results: &Results, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1000, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(480);
    throughput(results, &left)?;
    latency(results, &right)?;
    root.present()?;
    Ok(())
}

/// Picks one rate out of a run.
type RateOf = fn(&Run) -> f64;

/// Bars: each service beside its limit, medians with min–max whiskers.
fn throughput<DB: DrawingBackend>(
    results: &Results,
    area: &DrawingArea<DB, plotters::coord::Shift>,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let bars: [(&str, RateOf, RGBColor); 5] = [
        ("bare HTTP", |r| r.bare_lean.report.throughput, LIMIT),
        ("RPUSH ×1", |r| r.rpush, LIMIT),
        ("vote POST", |r| r.vote.report.throughput, OURS),
        ("raw upsert", |r| r.upsert, LIMIT),
        ("worker", |r| r.drain.rate, OURS),
    ];
    let figures: Vec<_> = bars
        .iter()
        .map(|(_, of, _)| results.figure(|r| Some(of(r) / 1000.0)))
        .collect();
    let top = figures.iter().filter_map(|f| f.max()).fold(1.0, f64::max) * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Throughput: ours beside its limit (same run)",
            ("sans-serif", 17),
        )
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(55)
        .build_cartesian_2d((0..bars.len() as i32 - 1).into_segmented(), 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .y_desc("thousand per second")
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => bars.get(*i as usize).map_or("", |b| b.0).to_owned(),
            _ => String::new(),
        })
        .draw()?;
    for (i, ((_, _, color), figure)) in bars.iter().zip(&figures).enumerate() {
        let (Some(median), Some(min), Some(max)) = (figure.median(), figure.min(), figure.max())
        else {
            continue;
        };
        let i = i as i32;
        let mut bar = Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), median),
            ],
            color.filled(),
        );
        bar.set_margin(0, 0, 14, 14);
        chart.draw_series([bar])?;
        chart.draw_series([PathElement::new(
            vec![
                (SegmentValue::CenterOf(i), min),
                (SegmentValue::CenterOf(i), max),
            ],
            BLACK.stroke_width(2),
        )])?;
        chart.draw_series([Text::new(
            format!("{median:.1}k"),
            (SegmentValue::CenterOf(i), max + top * 0.01),
            ("sans-serif", 13)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Bottom)),
        )])?;
    }
    Ok(())
}

/// Curves: latency at each percentile, all runs pooled.
fn latency<DB: DrawingBackend>(
    results: &Results,
    area: &DrawingArea<DB, plotters::coord::Shift>,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let vote = pooled(
        results
            .runs
            .iter()
            .map(|r| &r.vote.report.latency_histogram),
    );
    let screen = pooled(
        results
            .runs
            .iter()
            .filter_map(|r| r.screen.report.screen.as_ref().map(|s| &s.histogram)),
    );
    let full = pooled(
        results
            .runs
            .iter()
            .filter_map(|r| r.screen_full.report.screen.as_ref().map(|s| &s.histogram)),
    );
    let high = pooled(
        results
            .runs
            .iter()
            .filter_map(|r| r.screen_high.report.screen.as_ref().map(|s| &s.histogram)),
    );
    let curves = [
        ("vote POST, 50 connections, closed loop", vote, OURS),
        ("vote-to-screen, empty table", screen, SCREEN),
        ("vote-to-screen, table of earlier voters", full, FULL),
        ("vote-to-screen, a fifth of vote's rate", high, HIGH),
    ];
    let points = |h: &Histogram<u64>| -> Vec<(f64, f64)> {
        if h.is_empty() {
            return Vec::new();
        }
        QUANTILES
            .iter()
            .map(|q| (nines(*q), h.value_at_quantile(*q) as f64 / 1000.0))
            .collect()
    };
    let top = curves
        .iter()
        .flat_map(|(_, h, _)| points(h))
        .map(|(_, ms)| ms)
        .fold(1.0, f64::max)
        * 1.2;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Latency by percentile (all runs pooled)",
            ("sans-serif", 17),
        )
        .margin(12)
        .margin_right(30)
        .x_label_area_size(30)
        .y_label_area_size(55)
        .build_cartesian_2d(nines(0.5)..nines(0.9999), 0.0..top)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .y_desc("milliseconds")
        .x_labels(5)
        .x_label_formatter(&|x| percentile_label(*x))
        .draw()?;
    for (label, histogram, color) in &curves {
        let line = points(histogram);
        if line.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(line, color.stroke_width(2)))?
            .label(*label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// All samples of several histograms together.
fn pooled<'a>(histograms: impl Iterator<Item = &'a Histogram<u64>>) -> Histogram<u64> {
    let mut all = Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid bounds");
    for h in histograms {
        let _ = all.add(h);
    }
    all
}

/// A quantile on a "number of nines" scale: 0.9 → 1, 0.99 → 2, 0.999 → 3.
fn nines(quantile: f64) -> f64 {
    -(1.0 - quantile).log10()
}

/// The percentile at a point of the nines scale, e.g. `99.9%`.
fn percentile_label(x: f64) -> String {
    let percent = (1.0 - 10f64.powf(-x)) * 100.0;
    let text = format!("{percent:.2}");
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_percentile_scale_counts_nines() {
        assert!((nines(0.99) - 2.0).abs() < 1e-9);
        assert_eq!(percentile_label(nines(0.5)), "50%");
        assert_eq!(percentile_label(nines(0.999)), "99.9%");
        assert_eq!(percentile_label(2.0), "99%");
    }
}

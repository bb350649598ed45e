//! What a run measured, for people (`Display`) and for programs (JSON).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// The longest latency a histogram records exactly; longer ones are
/// clamped to it (a request times out long before).
const MAX_TRACKED: Duration = Duration::from_secs(120);

/// A latency histogram in microseconds with three significant digits: about
/// 0.1% error at any size, in a few tens of kilobytes.
pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED.as_micros() as u64, 3)
        .expect("the bounds are valid constants")
}

/// Records `latency` in `histogram`, clamped to what it can hold.
pub(crate) fn record(histogram: &mut Histogram<u64>, latency: Duration) {
    let micros = (latency.as_micros() as u64).clamp(1, MAX_TRACKED.as_micros() as u64);
    histogram.saturating_record(micros);
}

/// Percentiles of a latency distribution, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    /// How many samples.
    pub samples: u64,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

impl Latency {
    /// Summarises a histogram of microseconds.
    pub fn of(histogram: &Histogram<u64>) -> Latency {
        if histogram.is_empty() {
            return Latency::default();
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Latency {
            samples: histogram.len(),
            mean_ms: histogram.mean() / 1000.0,
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p999_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
        }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
            self.p50_ms, self.p90_ms, self.p99_ms, self.p999_ms, self.max_ms
        )
    }
}

/// The outcome of a vote load.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The vote page's URL.
    pub url: String,
    /// Keep-alive connections used.
    pub connections: usize,
    /// `max` or the target rate.
    pub pace: String,
    /// `unique` or how many reused voters.
    pub voters: String,
    /// Length of the measured window (after the warm-up), in seconds.
    pub elapsed_secs: f64,
    /// Requests sent in the measured window.
    pub requests: u64,
    /// Votes acknowledged (HTTP 200) in the measured window.
    pub ok: u64,
    /// Acknowledged votes per second over the measured window.
    pub throughput: f64,
    /// Latency of acknowledged votes: from the scheduled send time at a
    /// fixed rate, from the actual send at maximum pace.
    pub latency: Latency,
    /// Latency from the actual send, whatever the pace: the server's share.
    pub service_time: Latency,
    /// Failed requests by kind (`connect`, `tls`, `timeout`, `closed`,
    /// `protocol`, `http_<status>`, redirects included), over the whole run.
    pub errors: BTreeMap<String, u64>,
    /// The first failure of each kind in words, e.g. why the TLS handshake
    /// failed or where a redirect pointed.
    pub error_messages: BTreeMap<String, String>,
    /// Every vote acknowledged over the whole run, warm-up included: what
    /// the service promised to keep.
    pub acknowledged: u64,
    /// Vote-to-screen latency, when a probe watched the result page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screen: Option<crate::screen::ScreenReport>,
    /// The voters whose votes were acknowledged, when asked to record them.
    #[serde(skip)]
    pub acknowledged_voters: Vec<String>,
    /// The full latency distribution behind [`Report::latency`], in µs.
    #[serde(skip)]
    pub latency_histogram: Histogram<u64>,
}

impl Report {
    /// All failed requests.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} votes in {:.2} s at pace {} on {} connections ({} voters): {:.0} votes/s",
            self.ok, self.elapsed_secs, self.pace, self.connections, self.voters, self.throughput
        )?;
        writeln!(f, "latency:      {}", self.latency)?;
        writeln!(f, "service time: {}", self.service_time)?;
        write!(f, "acknowledged: {} votes in all", self.acknowledged)?;
        if self.errors.is_empty() {
            write!(f, ", no errors")?;
        } else {
            let kinds: Vec<String> = self
                .errors
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            write!(f, ", errors: {}", kinds.join(", "))?;
            for (kind, message) in &self.error_messages {
                write!(f, "\n  {kind}: {message}")?;
            }
        }
        if let Some(screen) = &self.screen {
            write!(f, "\n{screen}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_are_summarised_in_milliseconds() {
        let mut histogram = histogram();
        for ms in 1..=100 {
            record(&mut histogram, Duration::from_millis(ms));
        }
        record(&mut histogram, Duration::from_secs(3600));
        let latency = Latency::of(&histogram);
        assert_eq!(latency.samples, 101);
        assert!((latency.p50_ms - 51.0).abs() < 0.1, "{latency:?}");
        assert!(
            (latency.max_ms - 120_000.0).abs() < 120.0,
            "clamped: {latency:?}"
        );
        assert_eq!(Latency::of(&super::histogram()), Latency::default());
    }
}

//! Repeated measurements of one figure: median, min and max.

use std::fmt;

/// The values one figure took over the runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figure {
    samples: Vec<f64>,
}

impl Figure {
    /// A figure from its samples; runs that did not measure it are left out.
    pub fn new(samples: impl IntoIterator<Item = Option<f64>>) -> Figure {
        let mut samples: Vec<f64> = samples
            .into_iter()
            .flatten()
            .filter(|v| v.is_finite())
            .collect();
        samples.sort_by(f64::total_cmp);
        Figure { samples }
    }

    /// Whether any run measured it.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The median (the mean of the middle two for an even count).
    pub fn median(&self) -> Option<f64> {
        let n = self.samples.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(self.samples[n / 2]),
            _ => Some((self.samples[n / 2 - 1] + self.samples[n / 2]) / 2.0),
        }
    }

    /// The smallest value.
    pub fn min(&self) -> Option<f64> {
        self.samples.first().copied()
    }

    /// The largest value.
    pub fn max(&self) -> Option<f64> {
        self.samples.last().copied()
    }

    /// In how many runs `test` held, out of how many.
    pub fn runs_where(&self, test: impl Fn(f64) -> bool) -> (usize, usize) {
        (
            self.samples.iter().filter(|v| test(**v)).count(),
            self.samples.len(),
        )
    }

    /// Formats as `median [min–max]` with `format` for each number.
    pub fn show(&self, format: impl Fn(f64) -> String) -> String {
        match (self.median(), self.min(), self.max()) {
            (Some(median), Some(min), Some(max)) if self.samples.len() > 1 => {
                format!("{} [{}–{}]", format(median), format(min), format(max))
            }
            (Some(median), _, _) => format(median),
            _ => "not measured".into(),
        }
    }
}

/// A rate with thousands separators: `71,960/s`.
pub fn per_second(value: f64) -> String {
    format!("{}/s", thousands(value))
}

/// An integer with thousands separators.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if value < 0.0 { format!("-{out}") } else { out }
}

/// Milliseconds with two decimals.
pub fn ms(value: f64) -> String {
    format!("{value:.2} ms")
}

/// Mebibytes with one decimal.
pub fn mib(value: f64) -> String {
    format!("{value:.1} MiB")
}

/// A ratio: `0.62×`.
pub fn ratio(value: f64) -> String {
    format!("{value:.2}×")
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.show(|v| format!("{v}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_ranges() {
        let odd = Figure::new([Some(3.0), Some(1.0), None, Some(2.0)]);
        assert_eq!(
            (odd.median(), odd.min(), odd.max()),
            (Some(2.0), Some(1.0), Some(3.0))
        );
        assert_eq!(odd.show(|v| format!("{v:.0}")), "2 [1–3]");
        assert_eq!(odd.runs_where(|v| v >= 2.0), (2, 3));
        let even = Figure::new([Some(1.0), Some(4.0)]);
        assert_eq!(even.median(), Some(2.5));
        assert_eq!(Figure::new([None]).show(ms), "not measured");
        assert_eq!(Figure::new([Some(1.5)]).show(ms), "1.50 ms");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(per_second(71959.7), "71,960/s");
        assert_eq!(ratio(0.6234), "0.62×");
    }
}

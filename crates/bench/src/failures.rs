//! What went wrong in a phase, counted by kind: failed requests, missing
//! votes and failed SSE clients. Any of them means the phase's figures do
//! not describe a working service, so its goal rows are not reached.

use std::collections::BTreeMap;

/// Failures of one phase (or of several, summed), by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failures(BTreeMap<String, u64>);

impl Failures {
    /// No failure.
    pub fn none() -> Failures {
        Failures::default()
    }

    /// A load's failed requests by loadgen's kinds (`timeout`, `http_503`,
    /// …), and the acknowledged votes its screen probe never saw shown.
    pub fn of_load(report: &loadgen::Report) -> Failures {
        let mut failures = Failures::none();
        for (kind, count) in &report.errors {
            failures.add(&format!("request {kind}"), *count);
        }
        if let Some(screen) = &report.screen {
            failures.add("missing votes", screen.missing);
        }
        failures
    }

    /// Counts `count` more failures of `kind`; zero counts are not kept.
    pub fn add(&mut self, kind: &str, count: u64) {
        if count > 0 {
            *self.0.entry(kind.to_owned()).or_default() += count;
        }
    }

    /// These failures and `other`'s together.
    pub fn and(mut self, other: &Failures) -> Failures {
        for (kind, count) in &other.0 {
            self.add(kind, *count);
        }
        self
    }

    /// Whether nothing failed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many failures of every kind.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// `0`, or the total and each kind: `15 (request http_503 12, missing votes 3)`.
    pub fn show(&self) -> String {
        if self.is_empty() {
            return "0".into();
        }
        let kinds: Vec<String> = self.0.iter().map(|(k, n)| format!("{k} {n}")).collect();
        format!("{} ({})", self.total(), kinds.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_add_up_by_kind() {
        let mut one = Failures::none();
        one.add("request timeout", 2);
        one.add("missing votes", 0);
        let mut two = Failures::none();
        two.add("request timeout", 1);
        two.add("missing votes", 3);
        let both = one.and(&two);
        assert_eq!(both.total(), 6);
        assert_eq!(both.show(), "6 (missing votes 3, request timeout 3)");
        assert_eq!(Failures::none().show(), "0");
        assert!(Failures::none().and(&Failures::none()).is_empty());
    }
}

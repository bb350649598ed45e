//! The counts the result page shows, as `/api/results` and `/events` send them.

use serde::{Deserialize, Serialize};

use crate::ballot::Choice;

/// How many voters currently back each option: `{"a": <count>, "b": <count>}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Voters whose last vote was `a`.
    pub a: i64,
    /// Voters whose last vote was `b`.
    pub b: i64,
}

impl Tally {
    /// Builds a tally from the rows of [`crate::schema::COUNT_SQL`]. Rows for
    /// other values (written by some other producer) are not counted.
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = (&'a str, i64)>) -> Tally {
        let mut tally = Tally::default();
        for (vote, count) in rows {
            match Choice::parse(vote) {
                Some(Choice::A) => tally.a += count,
                Some(Choice::B) => tally.b += count,
                None => {}
            }
        }
        tally
    }

    /// All voters counted.
    pub fn total(&self) -> i64 {
        self.a + self.b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_known_options() {
        let tally = Tally::from_rows([("a", 3), ("b", 5), ("zzz", 9)]);
        assert_eq!(tally, Tally { a: 3, b: 5 });
        assert_eq!(tally.total(), 8);
        assert_eq!(serde_json::to_string(&tally).unwrap(), r#"{"a":3,"b":5}"#);
    }
}

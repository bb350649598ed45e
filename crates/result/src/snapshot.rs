//! One tally, rendered once and shared by every reader.
//!
//! Thousands of `/events` clients see each change. Rendering the JSON and
//! the server-sent event frame once, into one reference-counted buffer,
//! means a client costs a pointer copy per change, not an allocation.

use bytes::Bytes;
use voting::tally::Tally;

/// What comes before the JSON in an SSE frame.
const FRAME_PREFIX: &str = "data: ";
/// What ends an SSE frame: the blank line that dispatches the event.
const FRAME_SUFFIX: &str = "\n\n";

/// A tally with its wire forms, cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    tally: Tally,
    /// `data: {"a":…,"b":…}\n\n`; the JSON is a slice of it.
    frame: Bytes,
}

impl Snapshot {
    /// Renders `tally` once for every reader.
    pub(crate) fn new(tally: Tally) -> Snapshot {
        let json = serde_json::to_string(&tally).expect("a tally always serialises");
        let frame = format!("{FRAME_PREFIX}{json}{FRAME_SUFFIX}");
        Snapshot {
            tally,
            frame: Bytes::from(frame),
        }
    }

    /// The counts.
    pub(crate) fn tally(&self) -> Tally {
        self.tally
    }

    /// `{"a":…,"b":…}`, the body of `/api/results`.
    pub(crate) fn json(&self) -> Bytes {
        self.frame
            .slice(FRAME_PREFIX.len()..self.frame.len() - FRAME_SUFFIX.len())
    }

    /// The whole server-sent event carrying the JSON.
    pub(crate) fn frame(&self) -> Bytes {
        self.frame.clone()
    }
}

/// Shares of the total in whole percent, as the page shows them: an even
/// split before the first vote, and the two always add up to 100.
pub(crate) fn percentages(tally: Tally) -> (i64, i64) {
    let total = tally.total();
    if total <= 0 {
        return (50, 50);
    }
    // Round half up, in integers, like the page's Math.round.
    let a = (tally.a * 200 + total) / (2 * total);
    (a, 100 - a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_frame_carry_the_same_counts() {
        let snapshot = Snapshot::new(Tally { a: 12, b: 3 });
        assert_eq!(&snapshot.json()[..], br#"{"a":12,"b":3}"#);
        assert_eq!(&snapshot.frame()[..], b"data: {\"a\":12,\"b\":3}\n\n");
        assert_eq!(snapshot.tally(), Tally { a: 12, b: 3 });
    }

    #[test]
    fn percentages_add_up_to_one_hundred() {
        assert_eq!(percentages(Tally { a: 0, b: 0 }), (50, 50));
        assert_eq!(percentages(Tally { a: 1, b: 0 }), (100, 0));
        assert_eq!(percentages(Tally { a: 1, b: 2 }), (33, 67));
        assert_eq!(percentages(Tally { a: 2, b: 1 }), (67, 33));
        assert_eq!(percentages(Tally { a: 1, b: 7 }), (13, 87));
        assert_eq!(percentages(Tally { a: 1, b: 1 }), (50, 50));
    }
}

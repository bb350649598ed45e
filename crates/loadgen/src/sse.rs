//! Reading the result service's server-sent events: `data: {"a":…,"b":…}`.

use serde::Deserialize;

/// One tally as `/events` sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Tally {
    /// Voters for option a.
    pub a: i64,
    /// Voters for option b.
    pub b: i64,
}

impl Tally {
    /// Every voter counted.
    pub fn total(&self) -> i64 {
        self.a + self.b
    }
}

/// Splits a byte stream into events and yields the tallies they carry.
/// Comments (keep-alives) and `retry:` lines carry none and are skipped.
#[derive(Debug, Default)]
pub struct EventParser {
    pending: Vec<u8>,
}

impl EventParser {
    /// Feeds a chunk of the stream; returns the tallies of the events it
    /// completed, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Tally> {
        self.pending.extend_from_slice(chunk);
        let mut tallies = Vec::new();
        while let Some(end) = find_blank_line(&self.pending) {
            let event: Vec<u8> = self.pending.drain(..end.1).take(end.0).collect();
            tallies.extend(tally_of(&event));
        }
        tallies
    }
}

/// Where the first event ends: (length of the event, length with the blank
/// line that ends it). Both `\n\n` and `\r\n\r\n` end an event.
fn find_blank_line(buf: &[u8]) -> Option<(usize, usize)> {
    let lf = buf
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| (i, i + 2));
    let crlf = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn tally_of(event: &[u8]) -> Option<Tally> {
    let text = std::str::from_utf8(event).ok()?;
    let data: String = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim_start)
        .collect();
    serde_json::from_str(&data).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_are_put_together() {
        let mut parser = EventParser::default();
        assert!(parser.feed(b"retry: 2000\n\ndata: {\"a\":1,").is_empty());
        let tallies = parser.feed(b"\"b\":2}\n\n:\n\ndata: {\"a\":3,\"b\":2}\n\ndata");
        assert_eq!(tallies, [Tally { a: 1, b: 2 }, Tally { a: 3, b: 2 }]);
        assert_eq!(tallies[1].total(), 5);
        assert!(parser.feed(b": {}\r\n\r\n").is_empty(), "not a tally");
    }
}

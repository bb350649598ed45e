//! Reading the result service's server-sent events: `data: {"a":…,"b":…}`,
//! over `http` or `https`, chunked or not.

use std::io;

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::target::Target;
use crate::tls::{OpenError, Stream};

/// Bytes read at a time; tallies are about 30 bytes.
const READ_BUFFER: usize = 512;

/// The largest response head accepted.
const MAX_HEAD_BYTES: usize = 16 * 1024;

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

/// Why an event stream could not be opened or ended.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StreamError {
    /// The connection or the TLS handshake failed.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The server answered, but not with the stream.
    #[error("answered {0}")]
    Status(u16),
    /// The connection broke or was closed.
    #[error("the stream closed")]
    Closed,
    /// The answer was not HTTP as expected.
    #[error("bad response head")]
    Protocol,
}

impl StreamError {
    /// The kind of failure, as reports count it.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            StreamError::Open(OpenError::Connect { .. }) => "connect",
            StreamError::Open(OpenError::Tls { .. }) => "tls",
            StreamError::Status(503) => "http_503",
            StreamError::Status(_) => "http_other",
            StreamError::Closed => "closed",
            StreamError::Protocol => "protocol",
        }
    }
}

impl From<io::Error> for StreamError {
    fn from(_: io::Error) -> StreamError {
        StreamError::Closed
    }
}

/// An open `/events` stream.
pub(crate) struct EventStream {
    stream: Stream,
    body: Body,
}

impl EventStream {
    /// Connects, asks for the stream and reads until the first tally;
    /// returns the stream and the tallies read so far (at least one).
    pub(crate) async fn open(target: &Target) -> Result<(EventStream, Vec<Tally>), StreamError> {
        let mut stream = Stream::open(target).await?;
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
            target.path(),
            target.host()
        );
        stream.write_all(request.as_bytes()).await?;
        stream.flush().await?;
        let mut head = Vec::with_capacity(READ_BUFFER);
        let mut buf = [0u8; READ_BUFFER];
        let (body, rest) = loop {
            let read = stream.read(&mut buf).await?;
            if read == 0 {
                return Err(StreamError::Closed);
            }
            head.extend_from_slice(&buf[..read]);
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&head) {
                Ok(httparse::Status::Complete(len)) => {
                    if response.code != Some(200) {
                        return Err(StreamError::Status(response.code.unwrap_or_default()));
                    }
                    let chunked = response.headers.iter().any(|h| {
                        h.name.eq_ignore_ascii_case("transfer-encoding")
                            && h.value.eq_ignore_ascii_case(b"chunked")
                    });
                    break (Body::new(chunked), len);
                }
                Ok(httparse::Status::Partial) if head.len() < MAX_HEAD_BYTES => {}
                _ => return Err(StreamError::Protocol),
            }
        };
        let mut events = EventStream { stream, body };
        let mut tallies = events.body.feed(&head[rest..]);
        while tallies.is_empty() {
            tallies = events.next().await?;
        }
        Ok((events, tallies))
    }

    /// Reads once more from the stream; returns the tallies that read
    /// completed, perhaps none.
    pub(crate) async fn next(&mut self) -> Result<Vec<Tally>, StreamError> {
        let mut buf = [0u8; READ_BUFFER];
        match self.stream.read(&mut buf).await? {
            0 => Err(StreamError::Closed),
            read => Ok(self.body.feed(&buf[..read])),
        }
    }
}

/// A response body: chunked transfer coding undone, then parsed as events.
struct Body {
    chunked: Option<Chunked>,
    events: EventParser,
    plain: Vec<u8>,
}

impl Body {
    fn new(chunked: bool) -> Body {
        Body {
            chunked: chunked.then(Chunked::default),
            events: EventParser::default(),
            plain: Vec::new(),
        }
    }

    /// Feeds raw bytes; returns the tallies they completed.
    fn feed(&mut self, raw: &[u8]) -> Vec<Tally> {
        match &mut self.chunked {
            Some(chunked) => {
                self.plain.clear();
                chunked.decode(raw, &mut self.plain);
                self.events.feed(&self.plain)
            }
            None => self.events.feed(raw),
        }
    }
}

/// The chunked transfer coding, undone byte by byte: `<hex size>\r\n<data>\r\n`.
#[derive(Debug, Default)]
struct Chunked {
    size: usize,
    left: usize,
    in_size_line: bool,
}

impl Chunked {
    fn decode(&mut self, mut raw: &[u8], out: &mut Vec<u8>) {
        while !raw.is_empty() {
            if self.left > 0 {
                let take = self.left.min(raw.len());
                out.extend_from_slice(&raw[..take]);
                self.left -= take;
                raw = &raw[take..];
                continue;
            }
            let byte = raw[0];
            raw = &raw[1..];
            match byte {
                b'\n' if self.in_size_line => {
                    self.in_size_line = false;
                    self.left = self.size;
                }
                b'\r' | b'\n' => {}
                _ if !self.in_size_line => {
                    self.in_size_line = true;
                    self.size = hex_digit(byte);
                }
                _ => self.size = self.size * 16 + hex_digit(byte),
            }
        }
    }
}

fn hex_digit(byte: u8) -> usize {
    (byte as char).to_digit(16).unwrap_or(0) as usize
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

    #[test]
    fn chunked_event_streams_are_decoded_across_reads() {
        let raw = b"d\r\nretry: 2000\n\n\r\n15\r\ndata: {\"a\":1,\"b\":0}\n\n\r\n4\r\n:\n\n\r\n";
        for split in 1..raw.len() {
            let mut body = Body::new(true);
            let mut tallies = body.feed(&raw[..split]);
            tallies.extend(body.feed(&raw[split..]));
            assert_eq!(tallies, [Tally { a: 1, b: 0 }], "split at {split}");
        }
    }
}

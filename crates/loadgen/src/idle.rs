//! Many idle `/events` clients: people who leave the result page open.
//!
//! Each client is a bare socket and a small task, so ten thousand of them
//! cost the load generator little and measure what they cost the server.
//! A client counts as connected once it has received its first tally.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::sse::EventParser;
use crate::target::Target;

/// Connections being opened at once. The server's accept backlog is a few
/// hundred; more at once only makes SYNs wait.
const OPENING_AT_ONCE: usize = 256;

/// How long opening one stream and receiving its first tally may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(20);

/// Bytes read at a time; tallies are about 30 bytes.
const READ_BUFFER: usize = 512;

#[derive(Debug, Default)]
struct Counts {
    open: AtomicUsize,
    events: AtomicU64,
    failures: std::sync::Mutex<BTreeMap<String, u64>>,
}

impl Counts {
    fn fail(&self, kind: &str) {
        let mut failures = self.failures.lock().expect("the lock is never poisoned");
        *failures.entry(kind.to_owned()).or_default() += 1;
    }
}

/// Idle clients holding `/events` streams open until closed or dropped.
pub struct IdleClients {
    requested: usize,
    counts: Arc<Counts>,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

/// What became of the idle clients.
#[derive(Debug, Clone, Serialize)]
pub struct IdleReport {
    /// Clients asked for.
    pub requested: usize,
    /// Clients whose stream was still open at the end.
    pub open: usize,
    /// Tallies received by all clients together.
    pub events: u64,
    /// Clients that failed, by kind.
    pub failures: BTreeMap<String, u64>,
}

impl IdleClients {
    /// Opens `clients` streams to `url` and returns once each has received
    /// its first tally or failed.
    pub async fn open(url: &str, clients: usize) -> Result<IdleClients, Error> {
        let target = Target::resolve(url).await?;
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
            target.path(),
            target.host()
        );
        let request: Arc<[u8]> = Arc::from(request.into_bytes());
        let counts = Arc::new(Counts::default());
        let stop = CancellationToken::new();
        let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
        let (settled_tx, mut settled) = mpsc::channel::<()>(clients.max(1));
        let tasks = (0..clients)
            .map(|_| {
                let (counts, stop, opening) = (counts.clone(), stop.clone(), opening.clone());
                let (request, settled_tx, addr) =
                    (request.clone(), settled_tx.clone(), target.addr());
                tokio::spawn(async move {
                    let permit = opening.acquire_owned().await.expect("never closed");
                    let opened = tokio::time::timeout(OPEN_TIMEOUT, open_one(addr, &request)).await;
                    drop(permit);
                    // Counted before it says it settled, so that `open`
                    // returns with every stream counted as open or failed.
                    let (stream, parser) = match opened.unwrap_or(Err("timeout")) {
                        Ok(opened) => opened,
                        Err(kind) => {
                            counts.fail(kind);
                            let _ = settled_tx.send(()).await;
                            return;
                        }
                    };
                    counts.events.fetch_add(1, Ordering::Relaxed);
                    counts.open.fetch_add(1, Ordering::Relaxed);
                    let _ = settled_tx.send(()).await;
                    let kind = listen(stream, parser, &counts, &stop).await;
                    counts.open.fetch_sub(1, Ordering::Relaxed);
                    if let Some(kind) = kind {
                        counts.fail(kind);
                    }
                })
            })
            .collect();
        drop(settled_tx);
        for _ in 0..clients {
            if settled.recv().await.is_none() {
                break;
            }
        }
        Ok(IdleClients {
            requested: clients,
            counts,
            stop,
            tasks,
        })
    }

    /// Streams open now.
    pub fn open_now(&self) -> usize {
        self.counts.open.load(Ordering::Relaxed)
    }

    /// Tallies received so far by all clients together.
    pub fn events(&self) -> u64 {
        self.counts.events.load(Ordering::Relaxed)
    }

    /// Closes every stream and reports.
    pub async fn close(mut self) -> IdleReport {
        let open = self.open_now();
        self.stop.cancel();
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        IdleReport {
            requested: self.requested,
            open,
            events: self.events(),
            failures: self.counts.failures.lock().expect("never poisoned").clone(),
        }
    }
}

impl Drop for IdleClients {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Connects, asks for the stream and reads until the first tally. On
/// failure, returns the kind of failure.
async fn open_one(
    addr: std::net::SocketAddr,
    request: &[u8],
) -> Result<(TcpStream, Body), &'static str> {
    let mut stream = TcpStream::connect(addr).await.map_err(|_| "connect")?;
    stream.write_all(request).await.map_err(|_| "closed")?;
    let mut head = Vec::with_capacity(READ_BUFFER);
    let mut buf = [0u8; READ_BUFFER];
    loop {
        let read = stream.read(&mut buf).await.map_err(|_| "closed")?;
        if read == 0 {
            return Err("closed");
        }
        head.extend_from_slice(&buf[..read]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&head) {
            Ok(httparse::Status::Complete(len)) => {
                if response.code != Some(200) {
                    return Err(if response.code == Some(503) {
                        "http_503"
                    } else {
                        "http_other"
                    });
                }
                let chunked = response.headers.iter().any(|h| {
                    h.name.eq_ignore_ascii_case("transfer-encoding")
                        && h.value.eq_ignore_ascii_case(b"chunked")
                });
                let mut body = Body::new(chunked);
                let rest = head[len..].to_vec();
                if body.feed(&rest) > 0 {
                    return Ok((stream, body));
                }
                return first_tally(stream, body).await;
            }
            Ok(httparse::Status::Partial) if head.len() < 16 * 1024 => {}
            _ => return Err("protocol"),
        }
    }
}

async fn first_tally(
    mut stream: TcpStream,
    mut body: Body,
) -> Result<(TcpStream, Body), &'static str> {
    let mut buf = [0u8; READ_BUFFER];
    loop {
        let read = stream.read(&mut buf).await.map_err(|_| "closed")?;
        if read == 0 {
            return Err("closed");
        }
        if body.feed(&buf[..read]) > 0 {
            return Ok((stream, body));
        }
    }
}

/// Reads tallies until asked to stop (`None`) or the stream fails.
async fn listen(
    mut stream: TcpStream,
    mut body: Body,
    counts: &Counts,
    stop: &CancellationToken,
) -> Option<&'static str> {
    let mut buf = [0u8; READ_BUFFER];
    loop {
        let read = tokio::select! {
            read = stream.read(&mut buf) => read,
            _ = stop.cancelled() => return None,
        };
        match read {
            Ok(0) | Err(_) => return Some("closed"),
            Ok(read) => {
                let tallies = body.feed(&buf[..read]);
                counts.events.fetch_add(tallies, Ordering::Relaxed);
            }
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

    /// Feeds raw bytes; returns how many tallies they completed.
    fn feed(&mut self, raw: &[u8]) -> u64 {
        let tallies = match &mut self.chunked {
            Some(chunked) => {
                self.plain.clear();
                chunked.decode(raw, &mut self.plain);
                self.events.feed(&self.plain)
            }
            None => self.events.feed(raw),
        };
        tallies.len() as u64
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
    fn chunked_event_streams_are_decoded_across_reads() {
        let raw = b"d\r\nretry: 2000\n\n\r\n15\r\ndata: {\"a\":1,\"b\":0}\n\n\r\n4\r\n:\n\n\r\n";
        for split in 1..raw.len() {
            let mut body = Body::new(true);
            let tallies = body.feed(&raw[..split]) + body.feed(&raw[split..]);
            assert_eq!(tallies, 1, "split at {split}");
        }
    }
}

//! The lean path: `GET /` and `POST /` answered by a small HTTP/1.1 loop.
//!
//! A vote is a short request and a short answer, and over loopback the
//! kernel's TCP work per request is only about as large as hyper's and
//! axum's together (measured with `perf`; see BENCHMARKS.md). This loop
//! answers the two routes people use with a prepared page or a few bytes of
//! JSON, written in one `write`, so that the service keeps up with Redis
//! itself. It reads the whole request first; when the request is anything
//! but plain (see [`crate::ask`]) it hands the connection, bytes read so far
//! included, to hyper and the router for the rest of its life. Errors,
//! `/healthz`, `/metrics` and odd HTTP are all answered there, as before.
//!
//! A request must arrive whole, body included, by one deadline (from the
//! accept, or from its first byte on a kept-alive connection), and a
//! kept-alive connection may wait only so long for the next one. While it
//! waits for its client, the connection cap may close it to make room.

use std::io::Write as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Buf, BytesMut};
use metrics::{Counter, Histogram};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant as Deadline;
use tokio_util::sync::CancellationToken;
use voting::ballot::{Choice, VoterId};
use voting::gate::Slot;
use voting::limits::ConnectionLimits;
use voting::queue::{QueuedVote, timestamp_micros};

use crate::ask::{self, Ask, Parsed, Route};
use crate::routes::{self, State};

/// How the lean path left a connection.
pub(crate) enum Outcome {
    /// Closed, or to be closed: the client left or the service is stopping.
    Closed,
    /// Hyper and the router take over, starting with these bytes.
    HandOver(BytesMut),
}

/// The metrics the router's middleware keeps, as handles made once, so
/// that counting a lean request is a few atomic additions.
pub(crate) struct LeanMetrics {
    page: (Counter, Histogram),
    voted: (Counter, Histogram),
    refused: (Counter, Histogram),
    queued: [Counter; 2],
    queue_rejected: Counter,
}

impl LeanMetrics {
    pub(crate) fn new() -> LeanMetrics {
        voting::telemetry::metrics();
        let request = |method: &'static str, status: &'static str| {
            (
                metrics::counter!("http_requests_total", "method" => method, "route" => "/", "status" => status),
                metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => "/"),
            )
        };
        LeanMetrics {
            page: request("GET", "200"),
            voted: request("POST", "200"),
            refused: request("POST", "503"),
            queued: Choice::ALL.map(
                |choice| metrics::counter!("vote_votes_queued_total", "option" => choice.as_str()),
            ),
            queue_rejected: metrics::counter!("vote_rejected_total", "reason" => "queue"),
        }
    }
}

/// What a lean connection answers to besides its client.
pub(crate) struct Lean<'a> {
    /// Its place under the connection cap.
    pub(crate) slot: &'a Slot,
    /// Its deadlines.
    pub(crate) limits: &'a ConnectionLimits,
    /// The service's shutdown.
    pub(crate) shutdown: &'a CancellationToken,
}

/// Serves plain requests on `stream` until the client leaves or is too
/// slow, the service stops, or a request needs the router.
pub(crate) async fn serve(stream: &mut TcpStream, state: &State, lean: Lean<'_>) -> Outcome {
    let mut buf = BytesMut::with_capacity(1024);
    let mut out = Vec::with_capacity(512);
    // A fresh connection's first request is due one head timeout after
    // the accept; later ones get theirs when their first byte comes.
    let mut deadline = Some(Deadline::now() + lean.limits.head_timeout);
    loop {
        let ask = match ask::parse(&buf) {
            Parsed::Ours(ask) => ask,
            Parsed::NotOurs => return Outcome::HandOver(buf),
            Parsed::Partial => {
                let read = read_request(stream, &mut buf, deadline, &lean);
                match lean.slot.wait(read).await {
                    Some(Ok(ask)) => ask,
                    Some(Err(outcome)) => return outcome,
                    // Closed to make room for another client.
                    None => return Outcome::Closed,
                }
            }
        };
        deadline = None;
        let started = Instant::now();
        out.clear();
        answer(&ask, state, &mut out, started).await;
        buf.advance(ask.len);
        if stream.write_all(&out).await.is_err() {
            return Outcome::Closed;
        }
    }
}

/// Reads until `buf` holds a whole request, within the idle timeout for
/// its first byte and `deadline` (set from that byte if unset) for all.
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    mut deadline: Option<Deadline>,
    lean: &Lean<'_>,
) -> Result<Ask, Outcome> {
    loop {
        buf.reserve(1024);
        let read = if buf.is_empty() {
            // Waiting for a request to start, unless stopping: a fresh
            // connection until its deadline, a kept-alive one while idle.
            let waited = match deadline {
                Some(due) => tokio::time::sleep_until(due),
                None => tokio::time::sleep(lean.limits.idle_timeout),
            };
            tokio::select! {
                read = stream.read_buf(buf) => read,
                () = lean.shutdown.cancelled() => return Err(Outcome::Closed),
                () = waited => return Err(Outcome::Closed),
            }
        } else {
            let now = Deadline::now();
            let due = *deadline.get_or_insert(now + lean.limits.head_timeout);
            match tokio::time::timeout_at(due, stream.read_buf(buf)).await {
                Ok(read) => read,
                Err(_) => return Err(Outcome::Closed),
            }
        };
        if !matches!(read, Ok(n) if n > 0) {
            return Err(Outcome::Closed);
        }
        match ask::parse(buf) {
            Parsed::Ours(ask) => return Ok(ask),
            Parsed::NotOurs => return Err(Outcome::HandOver(std::mem::take(buf))),
            Parsed::Partial => {}
        }
    }
}

/// Writes the response to `ask` into `out`, queueing the vote first.
async fn answer(ask: &Ask, state: &State, out: &mut Vec<u8>, started: Instant) {
    let metrics = state.lean_metrics();
    let new_voter = match &ask.voter {
        Some(_) => None,
        None => Some(VoterId::random()),
    };
    let choice = match ask.route {
        Route::Page => {
            let page = state.pages().bytes(None);
            head(out, "200 OK", HTML, page.len(), new_voter.as_ref(), "");
            out.extend_from_slice(page);
            return done(&metrics.page, started);
        }
        Route::Vote(choice) => choice,
    };
    let voter = ask
        .voter
        .as_ref()
        .or(new_voter.as_ref())
        .expect("one of them is set");
    let message = QueuedVote::encode(voter.as_str(), choice, timestamp_micros());
    match state.queue().push(message).await {
        Ok(()) => {
            let queued = match choice {
                Choice::A => &metrics.queued[0],
                Choice::B => &metrics.queued[1],
            };
            queued.increment(1);
            if ask.json {
                let body = routes::vote_json(voter, choice);
                head(
                    out,
                    "200 OK",
                    "application/json",
                    body.len(),
                    new_voter.as_ref(),
                    "",
                );
                out.extend_from_slice(body.as_bytes());
            } else {
                let page = state.pages().bytes(Some(choice));
                head(out, "200 OK", HTML, page.len(), new_voter.as_ref(), "");
                out.extend_from_slice(page);
            }
            done(&metrics.voted, started);
        }
        Err(e) => {
            metrics.queue_rejected.increment(1);
            let body = routes::queue_refusal(&e);
            let status = "503 Service Unavailable";
            let retry = "retry-after: 1\r\n";
            head(
                out,
                status,
                "text/plain; charset=utf-8",
                body.len(),
                None,
                retry,
            );
            out.extend_from_slice(body.as_bytes());
            done(&metrics.refused, started);
        }
    }
}

fn done((count, latency): &(Counter, Histogram), started: Instant) {
    count.increment(1);
    latency.record(started.elapsed().as_secs_f64());
}

/// The content type axum gives an `Html` response.
const HTML: &str = "text/html; charset=utf-8";

/// The status line and headers, as hyper would write them, ending with the
/// blank line. `extra` is more header lines, each ending in CRLF.
fn head(
    out: &mut Vec<u8>,
    status: &str,
    content_type: &str,
    len: usize,
    cookie: Option<&VoterId>,
    extra: &str,
) {
    let _ = write!(
        out,
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n{extra}"
    );
    if let Some(voter) = cookie {
        let _ = write!(out, "set-cookie: {}\r\n", routes::voter_cookie_value(voter));
    }
    let _ = write!(out, "content-length: {len}\r\ndate: ");
    out.extend_from_slice(&http_date());
    out.extend_from_slice(b"\r\n\r\n");
}

/// The `Date` header's value, rendered once a second per thread.
fn http_date() -> [u8; 29] {
    thread_local! {
        static CACHED: std::cell::Cell<(u64, [u8; 29])> = const { std::cell::Cell::new((u64::MAX, [0; 29])) };
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHED.with(|cached| {
        let (second, text) = cached.get();
        if second == now {
            return text;
        }
        let text = imf_fixdate(now);
        cached.set((now, text));
        text
    })
}

/// `Tue, 15 Nov 1994 08:12:31 GMT`, the HTTP date format.
fn imf_fixdate(secs: u64) -> [u8; 29] {
    let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
    let mut bytes = [b' '; 29];
    bytes.copy_from_slice(&text.as_bytes()[..29]);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_imf_fixdate() {
        assert_eq!(&imf_fixdate(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(&imf_fixdate(784_887_151), b"Tue, 15 Nov 1994 08:12:31 GMT");
        assert_eq!(
            &imf_fixdate(1_764_072_000),
            b"Tue, 25 Nov 2025 12:00:00 GMT"
        );
    }

    #[test]
    fn heads_look_like_hypers() {
        let mut out = Vec::new();
        let voter = VoterId::parse("beef").unwrap();
        head(&mut out, "200 OK", "application/json", 27, Some(&voter), "");
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nset-cookie: voter_id=beef; Path=/"
        ));
        assert!(text.contains("\r\ncontent-length: 27\r\ndate: "));
        assert!(text.ends_with(" GMT\r\n\r\n"));
    }
}

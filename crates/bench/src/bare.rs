//! Bare HTTP servers: the ceilings vote's throughput is a fraction of.
//!
//! Both answer vote's POST and do nothing else: no Redis, no cookie check,
//! no metrics. They run as their own process (the benchmark's binary,
//! started again with a hidden flag), on the same runtime vote uses
//! (tokio's multi-threaded default), so their CPU is measured apart from
//! the load generator's, as vote's is.
//!
//! - [`Kind::Lean`] reads each request's head with `httparse`, skips its
//!   body by `Content-Length`, and writes vote's JSON answer, head and body
//!   of the same length, in one `write`: the cost of HTTP/1.1 keep-alive
//!   over loopback on this machine, which vote's own lean path pays too.
//! - [`Kind::Axum`] is DESIGN.md §8's bare axum handler: it parses the vote
//!   form and the voter cookie and builds the JSON, through hyper and axum.

use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The hidden command-line flag that makes the benchmark's binary serve.
pub const SERVE_BARE_FLAG: &str = "--serve-bare";

/// Which bare server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// An `httparse` loop answering with fixed bytes.
    Lean,
    /// An axum handler that parses the form and builds the JSON.
    Axum,
}

impl Kind {
    /// The flag value that starts this server.
    pub fn flag(self) -> &'static str {
        match self {
            Kind::Lean => "lean",
            Kind::Axum => "axum",
        }
    }
}

/// vote's JSON answer for a voter id as long as loadgen's (8 + 5 hex digits).
const BODY: &str = r#"{"voter_id":"0000000000000","vote":"a"}"#;

/// The largest request head read before the connection is dropped.
const MAX_HEAD: usize = 16 * 1024;

/// Serves `kind` on `127.0.0.1:port` until the process is stopped.
pub fn serve(kind: Kind, port: u16) -> io::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        match kind {
            Kind::Lean => lean(listener).await,
            Kind::Axum => axum::serve(listener, router()).await,
        }
    })
}

async fn lean(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(connection(stream));
    }
}

/// Answers every whole request on `stream` until the client leaves.
async fn connection(mut stream: TcpStream) {
    let mut buf = BytesMut::with_capacity(1024);
    let mut out = Vec::with_capacity(256);
    loop {
        match request_len(&buf) {
            Ok(Some(len)) => {
                buf.advance(len);
                answer(&mut out);
                if stream.write_all(&out).await.is_err() {
                    return;
                }
                continue;
            }
            Ok(None) => {}
            Err(()) => return,
        }
        buf.reserve(1024);
        if !matches!(stream.read_buf(&mut buf).await, Ok(n) if n > 0) {
            return;
        }
    }
}

/// The length of the whole request (head and body) at the front of `buf`,
/// `None` until it is all there, or `Err` for what is not HTTP.
fn request_len(buf: &[u8]) -> Result<Option<usize>, ()> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let head = match request.parse(buf) {
        Ok(httparse::Status::Complete(head)) => head,
        Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => return Ok(None),
        _ => return Err(()),
    };
    let body = request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .map_or(Ok(0), |h| {
            let text = std::str::from_utf8(h.value).map_err(|_| ())?;
            text.trim().parse::<usize>().map_err(|_| ())
        })?;
    Ok((buf.len() >= head + body).then_some(head + body))
}

/// vote's answer to a JSON vote, as its lean path writes it.
fn answer(out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ");
    out.extend_from_slice(BODY.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\ndate: ");
    out.extend_from_slice(&http_date());
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(BODY.as_bytes());
}

/// The `Date` value, rendered once a second per thread as servers do.
fn http_date() -> [u8; 29] {
    thread_local! {
        static CACHED: std::cell::Cell<(u64, [u8; 29])> =
            const { std::cell::Cell::new((u64::MAX, [0; 29])) };
    }
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHED.with(|cached| {
        let (at, text) = cached.get();
        if at == second {
            return text;
        }
        let mut text = [b' '; 29];
        let rendered = httpdate::fmt_http_date(now);
        let len = rendered.len().min(29);
        text[..len].copy_from_slice(&rendered.as_bytes()[..len]);
        cached.set((second, text));
        text
    })
}

/// The vote form.
#[derive(serde::Deserialize)]
struct VoteForm {
    vote: String,
}

fn router() -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/", post(vote))
        .route("/healthz", get(|| async { "ok" }))
}

/// Parses the form and the voter cookie and builds vote's JSON answer.
async fn vote(
    headers: axum::http::HeaderMap,
    axum::Form(form): axum::Form<VoteForm>,
) -> axum::Json<serde_json::Value> {
    let voter = headers
        .get(axum::http::header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .and_then(|c| {
            c.split(';')
                .find_map(|p| p.trim().strip_prefix("voter_id="))
        })
        .unwrap_or_default();
    axum::Json(serde_json::json!({ "voter_id": voter, "vote": form.vote }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_framed_by_their_content_length() {
        let raw = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nvote=aGET";
        assert_eq!(request_len(raw), Ok(Some(raw.len() - 3)));
        assert_eq!(request_len(&raw[..raw.len() - 5]), Ok(None));
        assert_eq!(request_len(b"GET /healthz HTTP/1.1\r\n\r\n"), Ok(Some(25)));
        assert_eq!(request_len(b"\x00\x01 nonsense\r\n\r\n"), Err(()));
    }

    #[test]
    fn the_answer_is_votes_json_with_a_date() {
        let mut out = Vec::new();
        answer(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"));
        assert!(text.contains(&format!("content-length: {}\r\n", BODY.len())));
        assert!(text.contains(" GMT\r\n\r\n{\"voter_id\""), "{text}");
    }
}

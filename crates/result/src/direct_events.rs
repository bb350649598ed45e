//! `GET /events` answered straight on the socket, for connections that
//! open with it.
//!
//! An event stream response is simple: a fixed head, then frames until the
//! connection closes. Writing it directly keeps nothing per client but the
//! socket, a small task and the [`EventStream`]; the request head is read
//! into a buffer that is freed before the first frame. The response ends
//! with the connection (`connection: close`), so no chunked framing is
//! needed and nothing else is ever read from the client.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, timeout_at};
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use voting::gate::Slot;

use crate::events::{EventStream, REFUSED_BODY, RETRY_AFTER_SECONDS, STREAM_HEADERS, Streams};

/// The start of a request this path serves; the next byte must end the
/// path (a space) or start a query (`?`).
const EVENTS_REQUEST: &[u8] = b"GET /events";

/// The largest request head accepted, as in hyper's default.
const MAX_HEAD: usize = 8 * 1024;

/// How long one frame may take to reach a client's socket. A client that
/// stops reading is dropped instead of holding its place forever.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The route label of this path in the request metrics, as the router's.
const ROUTE: &str = "/events";

/// Whether the connection's first bytes are a `GET /events` request. Waits
/// for the first bytes without consuming them; a request line that arrives
/// in pieces smaller than its first 12 bytes simply goes to hyper.
pub(crate) async fn opens_with_events(stream: &TcpStream) -> bool {
    let mut first = [0u8; EVENTS_REQUEST.len() + 1];
    match stream.peek(&mut first).await {
        Ok(n) if n == first.len() => {
            first.starts_with(EVENTS_REQUEST) && matches!(first[n - 1], b' ' | b'?')
        }
        _ => false,
    }
}

/// Serves one event stream, until the client leaves, stops reading, or
/// the feed stops on shutdown. The request head must be in by `deadline`;
/// until then the connection cap may close the connection to make room.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn serve(
    mut stream: TcpStream,
    slot: &Slot,
    deadline: tokio::time::Instant,
    streams: &Streams,
    shutdown: &CancellationToken,
) {
    let started = Instant::now();
    let read = async {
        tokio::select! {
            () = shutdown.cancelled() => None,
            head = timeout_at(deadline, read_head(&mut stream)) => Some(head),
        }
    };
    let Some(Some(head)) = slot.wait(read).await else {
        return;
    };
    let head = match head {
        Ok(Ok(head)) => head,
        Ok(Err(HeadError::Io)) | Err(_) => return,
        Ok(Err(HeadError::TooLarge)) => {
            respond(
                &mut stream,
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                started,
            )
            .await;
            return;
        }
    };
    if !is_http1(&head) {
        respond(&mut stream, StatusCode::BAD_REQUEST, started).await;
        return;
    }
    drop(head);
    let Some(events) = streams.open() else {
        respond(&mut stream, StatusCode::SERVICE_UNAVAILABLE, started).await;
        return;
    };
    if write(&mut stream, response_head().as_bytes())
        .await
        .is_err()
    {
        return;
    }
    voting::http::record_request("GET".into(), ROUTE.into(), StatusCode::OK, started);
    follow(stream, events).await;
}

/// Writes frames as they come, and notices when the client hangs up.
async fn follow(mut stream: TcpStream, mut events: EventStream) {
    let (mut reader, mut writer) = stream.split();
    // Anything the client sends after its request is read and ignored: the
    // read is how a closed connection is noticed.
    let mut ignored = [0u8; 64];
    loop {
        tokio::select! {
            frame = events.next() => match frame {
                Some(Ok(frame)) => {
                    if !matches!(timeout(WRITE_TIMEOUT, writer.write_all(&frame)).await, Ok(Ok(()))) {
                        return;
                    }
                }
                Some(Err(never)) => match never {},
                None => break,
            },
            read = reader.read(&mut ignored) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
        }
    }
    let _ = writer.shutdown().await;
}

/// Why a request head could not be read.
enum HeadError {
    Io,
    TooLarge,
}

/// Reads up to the blank line that ends the request head.
async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::with_capacity(1024);
    loop {
        if head.len() >= MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
        // Into the vector's spare room: a buffer on the stack would be
        // part of the task's size for as long as the stream lives.
        match stream.read_buf(&mut head).await {
            Ok(0) | Err(_) => return Err(HeadError::Io),
            Ok(_) if head.windows(4).any(|w| w == b"\r\n\r\n") => return Ok(head),
            Ok(_) => {}
        }
    }
}

/// Whether the request line ends in an HTTP/1 version; the path was
/// checked by [`opens_with_events`].
fn is_http1(head: &[u8]) -> bool {
    let line_end = head
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(head.len());
    let line = &head[..line_end];
    line.ends_with(b" HTTP/1.1") || line.ends_with(b" HTTP/1.0")
}

/// The status line and headers of an event stream, with the stream's end
/// marked by closing the connection.
fn response_head() -> String {
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    for (name, value) in STREAM_HEADERS {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    head
}

/// Sends a short plain-text error and closes.
async fn respond(stream: &mut TcpStream, status: StatusCode, started: Instant) {
    let body = match status {
        StatusCode::SERVICE_UNAVAILABLE => REFUSED_BODY,
        _ => "bad request\n",
    };
    let retry_after = if status == StatusCode::SERVICE_UNAVAILABLE {
        format!("retry-after: {RETRY_AFTER_SECONDS}\r\n")
    } else {
        String::new()
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\n{retry_after}connection: close\r\n\r\n{body}",
        body.len()
    );
    voting::http::record_request("GET".into(), ROUTE.into(), status, started);
    if write(stream, response.as_bytes()).await.is_ok() {
        let _ = stream.shutdown().await;
    }
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    timeout(WRITE_TIMEOUT, stream.write_all(bytes))
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http1_request_lines_are_served() {
        assert!(is_http1(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(is_http1(b"GET /events?x=1 HTTP/1.0\r\n\r\n"));
        assert!(!is_http1(b"GET /events HTTP/2.0\r\n\r\n"));
        assert!(!is_http1(b"GET /events\r\n\r\n"));
    }

    #[tokio::test]
    async fn request_heads_are_read_whole_and_bounded() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        for (sent, fits) in [
            ("GET /events HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(), true),
            (
                format!("GET /events HTTP/1.1\r\nX: {}", "x".repeat(MAX_HEAD)),
                false,
            ),
        ] {
            let mut client = TcpStream::connect(addr).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            client.write_all(sent.as_bytes()).await.unwrap();
            match read_head(&mut server).await {
                Ok(head) => assert!(fits && head == sent.as_bytes()),
                Err(HeadError::TooLarge) => assert!(!fits),
                Err(HeadError::Io) => panic!("the head was sent"),
            }
        }
    }

    #[test]
    fn the_response_head_ends_the_stream_with_the_connection() {
        let head = response_head();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.contains("content-type: text/event-stream\r\n"),
            "{head}"
        );
        assert!(head.ends_with("connection: close\r\n\r\n"), "{head}");
    }
}

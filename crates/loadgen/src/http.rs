//! A lean HTTP/1.1 keep-alive client for one connection.
//!
//! The load generator shares two cores with the service it measures, so
//! every cycle it spends is a cycle the service does not get. Like wrk, it
//! writes a request it mostly prepared in advance and parses only the status
//! line and the framing headers of the answer (with `httparse`, hyper's
//! parser). One request is outstanding at a time: no pipelining, as browsers.
//! Redirects are answers like any other: the caller counts them as failed.

use std::io;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::target::Target;
use crate::tls::{OpenError, Stream};

/// How many response headers are looked at; the services send about five.
const MAX_HEADERS: usize = 32;

/// The largest response head accepted, so a broken peer cannot grow the
/// buffer without bound.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// The largest response body accepted; the vote page is a few kilobytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What can go wrong on one request; each maps to an error kind in reports.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Reading or writing the socket failed, or the server closed it.
    #[error("connection lost: {0}")]
    Io(#[from] io::Error),
    /// The server closed the connection before a complete response.
    #[error("the server closed the connection")]
    Closed,
    /// The answer was not HTTP/1.1 as expected.
    #[error("bad response: {0}")]
    Protocol(String),
}

/// The parts of a response the load generator needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Whether the server will close the connection after this response.
    pub close: bool,
    /// Where a redirect (3xx) points, for the report; `None` otherwise.
    pub location: Option<String>,
}

impl Response {
    /// What a refused request's answer said; a redirect says where it
    /// points, since following it would hide a URL that is not the service's.
    pub fn describe(&self) -> String {
        match &self.location {
            Some(location) => format!(
                "answered {} redirecting to {location}; redirects are not followed, use that URL",
                self.status
            ),
            None => format!("answered {}", self.status),
        }
    }
}

/// One keep-alive connection.
pub struct Connection {
    stream: Stream,
    buf: BytesMut,
}

impl Connection {
    /// Opens a connection to `target`, with TLS for `https`.
    pub(crate) async fn open(target: &Target) -> Result<Connection, OpenError> {
        Ok(Connection {
            stream: Stream::open(target).await?,
            buf: BytesMut::with_capacity(4096),
        })
    }

    /// Sends one complete request and reads its response, body included
    /// (and discarded), so the connection is ready for the next request.
    pub async fn send(&mut self, request: &[u8]) -> Result<Response, HttpError> {
        self.stream.write_all(request).await?;
        // TLS may hold the last record back until flushed; TCP never does.
        self.stream.flush().await?;
        loop {
            if let Some((response, consumed)) = parse(&self.buf)? {
                self.buf.advance(consumed);
                return Ok(response);
            }
            if self.buf.len() > MAX_HEAD_BYTES + MAX_BODY_BYTES {
                return Err(HttpError::Protocol("response too large".into()));
            }
            self.buf.reserve(4096);
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(HttpError::Closed);
            }
        }
    }
}

/// Parses one response from the front of `buf`: `None` until it is all
/// there, else the response and how many bytes it took.
fn parse(buf: &[u8]) -> Result<Option<(Response, usize)>, HttpError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let head = match response.parse(buf) {
        Ok(httparse::Status::Complete(head)) => head,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD_BYTES => {
            return Err(HttpError::Protocol("response head too large".into()));
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(HttpError::Protocol(e.to_string())),
    };
    let status = response.code.unwrap_or_default();
    let mut length = None;
    let mut close = response.version == Some(0);
    let mut location = None;
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or_else(|| HttpError::Protocol("bad Content-Length".into()))?;
            length = Some(value);
        } else if header.name.eq_ignore_ascii_case("connection") {
            close = header.value.eq_ignore_ascii_case(b"close");
        } else if (300..400).contains(&status) && header.name.eq_ignore_ascii_case("location") {
            location = Some(String::from_utf8_lossy(header.value).into_owned());
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(HttpError::Protocol(
                "chunked responses are not expected from the vote service".into(),
            ));
        }
    }
    // 1xx, 204 and 304 have no body; everything else the services send has
    // a Content-Length.
    let length = match (status, length) {
        (100..=199 | 204 | 304, _) => 0,
        (_, Some(length)) if length <= MAX_BODY_BYTES => length,
        (_, Some(_)) => return Err(HttpError::Protocol("response body too large".into())),
        (_, None) => {
            return Err(HttpError::Protocol(
                "response without Content-Length".into(),
            ));
        }
    };
    if buf.len() < head + length {
        return Ok(None);
    }
    let response = Response {
        status,
        close,
        location,
    };
    Ok(Some((response, head + length)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_are_framed_by_content_length() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhelloHTTP/1.1";
        let (response, used) = parse(raw).unwrap().unwrap();
        assert_eq!(
            response,
            Response {
                status: 200,
                close: false,
                location: None,
            }
        );
        assert_eq!(&raw[used..], b"HTTP/1.1");
        assert!(parse(&raw[..30]).unwrap().is_none(), "a partial head waits");
        assert!(parse(&raw[..40]).unwrap().is_none(), "a partial body waits");
    }

    #[test]
    fn closing_and_odd_responses_are_recognised() {
        let raw =
            b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        let (response, _) = parse(raw).unwrap().unwrap();
        assert_eq!(
            response,
            Response {
                status: 503,
                close: true,
                location: None,
            }
        );
        let redirect = b"HTTP/1.1 308 Permanent Redirect\r\nLocation: https://voting.lab.test/\r\n\
                         Content-Length: 0\r\n\r\n";
        let (response, _) = parse(redirect).unwrap().unwrap();
        assert_eq!(response.status, 308);
        assert_eq!(
            response.location.as_deref(),
            Some("https://voting.lab.test/")
        );
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
        assert!(matches!(parse(chunked), Err(HttpError::Protocol(_))));
        assert!(matches!(
            parse(b"SMTP nonsense\r\n\r\n"),
            Err(HttpError::Protocol(_))
        ));
    }
}

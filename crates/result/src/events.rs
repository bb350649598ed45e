//! `GET /events`: the tally as server-sent events, at connect and on every
//! change.
//!
//! One process holds thousands of idle streams, so a stream is kept small:
//! a watch receiver, a keep-alive timer and a counter slot. Each change is
//! the feed's pre-rendered frame, shared, never copied per client. The
//! stream ends when the feed stops, so graceful shutdown does not wait for
//! browsers to hang up.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::time::{Instant, Sleep};
use tokio_stream::Stream;
use tokio_stream::wrappers::WatchStream;

use crate::feed::Feed;
use crate::snapshot::Snapshot;

/// How long a stream may stay silent before a comment is sent, so proxies
/// with an idle timeout (nginx defaults to 60 s) keep it open.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Sent first: how long a browser waits before reconnecting a dropped
/// stream, in milliseconds.
const RETRY_FRAME: &[u8] = b"retry: 2000\n\n";

/// An SSE comment: ignored by browsers, but it keeps the connection busy.
const KEEP_ALIVE_FRAME: &[u8] = b":\n\n";

/// How long a client refused for being one too many should wait.
pub(crate) const RETRY_AFTER_SECONDS: &str = "5";

/// What opening an event stream needs: the feed to follow and the count
/// of open streams. Shared by the router and the lean connection path.
#[derive(Debug, Clone)]
pub(crate) struct Streams {
    feed: Feed,
    clients: Clients,
}

impl Streams {
    /// Streams over `feed`, at most `max` at once.
    pub(crate) fn new(feed: Feed, max: usize) -> Streams {
        Streams {
            feed,
            clients: Clients::new(max),
        }
    }

    /// A new stream, or `None` when the process already holds as many as
    /// it may.
    pub(crate) fn open(&self) -> Option<EventStream> {
        let Some(slot) = self.clients.admit() else {
            metrics::counter!("result_sse_refused_total").increment(1);
            return None;
        };
        Some(EventStream {
            greeted: false,
            changes: WatchStream::new(self.feed.subscribe()),
            keep_alive: Box::pin(tokio::time::sleep(KEEP_ALIVE)),
            _slot: slot,
        })
    }

    /// Answers `/events` through the router: a stream, or 503 when full.
    pub(crate) fn response(&self) -> Response {
        let Some(stream) = self.open() else {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, RETRY_AFTER_SECONDS)],
                REFUSED_BODY,
            )
                .into_response();
        };
        let mut response = Body::from_stream(stream).into_response();
        let headers = response.headers_mut();
        for (name, value) in STREAM_HEADERS {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        response
    }
}

/// The headers of every event stream, however it is served.
pub(crate) const STREAM_HEADERS: &[(&str, &str)] = &[
    ("content-type", "text/event-stream"),
    ("cache-control", "no-cache"),
    // Tells nginx-style proxies not to buffer the stream.
    ("x-accel-buffering", "no"),
];

/// What a client refused for being one too many reads.
pub(crate) const REFUSED_BODY: &str = "too many live result streams; try again shortly\n";

/// Counts open streams against the configured limit.
#[derive(Debug, Clone)]
struct Clients {
    open: Arc<AtomicUsize>,
    max: usize,
}

impl Clients {
    fn new(max: usize) -> Clients {
        Clients {
            open: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    fn admit(&self) -> Option<Slot> {
        let admitted = self
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.max).then_some(open + 1)
            })
            .is_ok();
        if !admitted {
            return None;
        }
        metrics::gauge!("result_sse_clients").increment(1.0);
        Some(Slot(self.open.clone()))
    }
}

/// One admitted stream; gives its place back when the stream is dropped.
#[derive(Debug)]
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
        metrics::gauge!("result_sse_clients").decrement(1.0);
    }
}

/// The frames of one `/events` response: the reconnect delay, then the
/// tally at connect and at each change, and keep-alive comments between.
pub(crate) struct EventStream {
    greeted: bool,
    changes: WatchStream<Option<Snapshot>>,
    keep_alive: Pin<Box<Sleep>>,
    _slot: Slot,
}

impl EventStream {
    fn send(&mut self, frame: Bytes) -> Poll<Option<Result<Bytes, Infallible>>> {
        self.keep_alive.as_mut().reset(Instant::now() + KEEP_ALIVE);
        Poll::Ready(Some(Ok(frame)))
    }
}

impl Stream for EventStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if !this.greeted {
            this.greeted = true;
            return this.send(Bytes::from_static(RETRY_FRAME));
        }
        loop {
            match Pin::new(&mut this.changes).poll_next(cx) {
                Poll::Ready(Some(Some(snapshot))) => return this.send(snapshot.frame()),
                // No count yet: the first one will come as a change.
                Poll::Ready(Some(None)) => continue,
                // The feed stopped: the service is shutting down.
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => break,
            }
        }
        match this.keep_alive.as_mut().poll(cx) {
            Poll::Ready(()) => this.send(Bytes::from_static(KEEP_ALIVE_FRAME)),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::watch;
    use tokio_stream::StreamExt;
    use voting::tally::Tally;

    #[test]
    fn clients_beyond_the_limit_are_refused_until_one_leaves() {
        let clients = Clients::new(2);
        let first = clients.admit().expect("room for the first");
        let _second = clients.admit().expect("room for the second");
        assert!(clients.admit().is_none());
        drop(first);
        assert!(clients.admit().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_greets_sends_changes_keeps_alive_and_ends_with_the_feed() {
        let (feed, changes) = watch::channel(None);
        let streams = Streams::new(Feed::following(changes), 1);
        let response = streams.response();
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        assert_eq!(streams.response().status(), StatusCode::SERVICE_UNAVAILABLE);
        let mut body = response.into_body().into_data_stream();
        let mut next = async || body.next().await.map(|chunk| chunk.unwrap());

        assert_eq!(next().await.unwrap(), RETRY_FRAME);
        feed.send_replace(Some(Snapshot::new(Tally { a: 1, b: 0 })));
        assert_eq!(next().await.unwrap(), "data: {\"a\":1,\"b\":0}\n\n");
        // Nothing changes for a while: the paused clock jumps to the keep-alive.
        assert_eq!(next().await.unwrap(), KEEP_ALIVE_FRAME);
        drop(feed);
        assert_eq!(next().await, None);
    }
}

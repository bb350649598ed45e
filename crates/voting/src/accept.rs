//! An accept loop of our own, for services that answer some connections
//! outside hyper (vote's lean path, result's lean event streams) and hand
//! the others to hyper and the router, as `axum::serve` would.
//!
//! It enforces [`ConnectionLimits`]: at most `max_connections` are open
//! (see [`Gate`]; one more is answered with a minimal `503` and closed),
//! hyper has a timer so that its header timeout works, and a graceful
//! shutdown waits at most `shutdown_timeout` before dropping connections.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::gate::{Gate, Slot};
use crate::in_flight::{self, Activity};
use crate::limits::ConnectionLimits;

/// How long to pause after an accept error such as running out of file
/// descriptors, so the loop does not spin while the condition lasts.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// The answer to a connection beyond the cap, written at once and closed:
/// the client learns why, and the service keeps nothing for it.
const SHED_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain; charset=utf-8\r\ncontent-length: 21\r\n\
retry-after: 1\r\nconnection: close\r\n\r\ntoo many connections\n";

/// How much of a refused client's request is read and dropped before the
/// answer, so that closing with unread bytes does not reset the answer away.
const SHED_DRAIN_BYTES: usize = 4096;

/// Accepts connections on `listener` until `shutdown` is cancelled, running
/// `connection` for each on a task of its own with its place under the
/// cap, then waits for every connection to finish, at most
/// `limits.shutdown_timeout`.
pub async fn serve_connections<F, Fut>(
    listener: TcpListener,
    limits: &ConnectionLimits,
    shutdown: CancellationToken,
    connection: F,
) where
    F: Fn(TcpStream, Slot) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let gate = Gate::new(limits.max_connections);
    let shed = metrics::counter!("http_connections_refused_total");
    let connections = TaskTracker::new();
    let abandon = CancellationToken::new();
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    pause_after(&e, &gate, &shutdown).await;
                    continue;
                }
            },
        };
        let Some(slot) = gate.admit() else {
            shed.increment(1);
            refuse(&stream);
            continue;
        };
        // Answers are small writes that should leave at once.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let served = connection(stream, slot);
        let abandon = abandon.clone();
        connections.spawn(async move {
            abandon.run_until_cancelled(served).await;
        });
    }
    drop(listener);
    connections.close();
    let wait = limits.shutdown_timeout;
    if tokio::time::timeout(wait, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            ?wait,
            "connections still open after the shutdown timeout; dropping them"
        );
        abandon.cancel();
        connections.wait().await;
    }
}

/// Answers a connection beyond the cap without waiting on it: whatever
/// arrived is dropped, the answer fits an empty socket buffer, and the
/// connection closes when the stream drops.
fn refuse(stream: &TcpStream) {
    let mut sink = [0u8; 1024];
    let mut drained = 0;
    while drained < SHED_DRAIN_BYTES {
        match stream.try_read(&mut sink) {
            Ok(n) if n > 0 => drained += n,
            _ => break,
        }
    }
    let _ = stream.try_write(SHED_RESPONSE);
}

async fn pause_after(error: &io::Error, gate: &Gate, shutdown: &CancellationToken) {
    // A client that gave up before being accepted is no reason to wait.
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %error, "accepting a connection failed");
    metrics::counter!("http_accept_errors_total").increment(1);
    // Out of file descriptors despite the headroom (another part of the
    // process took them): an idle client gives its own back.
    let out_of_files = [nix::errno::Errno::EMFILE, nix::errno::Errno::ENFILE]
        .map(|errno| errno as i32)
        .contains(&error.raw_os_error().unwrap_or_default());
    if out_of_files {
        gate.evict_longest_waiting();
    }
    tokio::select! {
        () = shutdown.cancelled() => {}
        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
    }
}

/// What `axum::serve` does for one connection, graceful shutdown included,
/// with hyper's header timeout on (it needs a timer to work at all). While
/// no request is in flight the connection cap may close the connection.
pub async fn serve_http<I>(
    io: I,
    router: Router,
    slot: &Slot,
    limits: &ConnectionLimits,
    shutdown: &CancellationToken,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.router_head_timeout());
    let activity = Arc::new(Activity::default());
    let service = in_flight::tracked(router, activity.clone());
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(connection);
    let evicted = async {
        loop {
            activity.until(false).await;
            if slot.wait(activity.until(true)).await.is_none() {
                return;
            }
        }
    };
    tokio::select! {
        outcome = connection.as_mut() => {
            if let Err(e) = outcome {
                tracing::trace!(error = %e, "connection ended with an error");
            }
            return;
        }
        // Closed to make room for another client.
        () = evicted => return,
        () = shutdown.cancelled() => {}
    }
    connection.as_mut().graceful_shutdown();
    if let Err(e) = connection.await {
        tracing::trace!(error = %e, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_whole_response() {
        let text = std::str::from_utf8(SHED_RESPONSE).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        assert!(head.contains("\r\nconnection: close"), "{head}");
        assert!(
            head.contains(&format!("\r\ncontent-length: {}", body.len())),
            "{head}"
        );
    }
}

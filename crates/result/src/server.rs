//! The accept loop, with a lean path for event streams.
//!
//! hyper keeps an 8 KiB read buffer and an 8 KiB write buffer for every
//! connection for as long as it lives, about 21 KiB of memory per idle
//! `/events` client in all; ten thousand watchers would need over 200 MiB.
//! So a connection whose first bytes are `GET /events` is answered by
//! [`direct_events`](crate::direct_events), which keeps a few hundred bytes
//! per client. Every other connection, including an `/events` request that
//! comes later on a kept-alive connection, is served by hyper and the router,
//! as `axum::serve` would.

use std::io;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::direct_events;
use crate::events::Streams;

/// How long to pause after an accept error such as running out of file
/// descriptors, so the loop does not spin while the condition lasts.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Serves `router` (and lean event streams) on `listener` until `shutdown`
/// is cancelled, then waits for every connection to finish: requests in
/// flight complete, and event streams end with the feed.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    streams: Streams,
    shutdown: CancellationToken,
) {
    let router = voting::http::observe(router);
    let connections = TaskTracker::new();
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    pause_after(&e, &shutdown).await;
                    continue;
                }
            },
        };
        // Frames are small and latency matters more than packet count.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        connections.spawn(connection(
            stream,
            router.clone(),
            streams.clone(),
            shutdown.clone(),
        ));
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

async fn pause_after(error: &io::Error, shutdown: &CancellationToken) {
    // A client that gave up before being accepted is no reason to wait.
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %error, "accepting a connection failed");
    metrics::counter!("result_accept_errors_total").increment(1);
    tokio::select! {
        () = shutdown.cancelled() => {}
        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
    }
}

/// Serves one connection on the path its first bytes call for.
async fn connection(
    stream: TcpStream,
    router: Router,
    streams: Streams,
    shutdown: CancellationToken,
) {
    let lean = tokio::select! {
        () = shutdown.cancelled() => return,
        lean = direct_events::opens_with_events(&stream) => lean,
    };
    if lean {
        direct_events::serve(stream, &streams, &shutdown).await;
    } else {
        // Boxed: a task is as large as its largest state, and hyper's
        // connection would otherwise make every lean stream as large.
        Box::pin(serve_http(stream, router, &shutdown)).await;
    }
}

/// What `axum::serve` does for one connection, graceful shutdown included.
async fn serve_http(stream: TcpStream, router: Router, shutdown: &CancellationToken) {
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(router));
    tokio::pin!(connection);
    tokio::select! {
        outcome = connection.as_mut() => {
            if let Err(e) = outcome {
                tracing::trace!(error = %e, "connection ended with an error");
            }
            return;
        }
        () = shutdown.cancelled() => {}
    }
    connection.as_mut().graceful_shutdown();
    if let Err(e) = connection.await {
        tracing::trace!(error = %e, "connection ended with an error");
    }
}

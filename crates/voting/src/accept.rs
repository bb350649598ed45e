//! An accept loop of our own, for services that answer some connections
//! outside hyper (vote's lean path, result's lean event streams) and hand
//! the others to hyper and the router, as `axum::serve` would.

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long to pause after an accept error such as running out of file
/// descriptors, so the loop does not spin while the condition lasts.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Accepts connections on `listener` until `shutdown` is cancelled, running
/// `connection` for each on a task of its own, then waits for every
/// connection to finish.
pub async fn serve_connections<F, Fut>(
    listener: TcpListener,
    shutdown: CancellationToken,
    connection: F,
) where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
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
        // Answers are small writes that should leave at once.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        connections.spawn(connection(stream));
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
    metrics::counter!("http_accept_errors_total").increment(1);
    tokio::select! {
        () = shutdown.cancelled() => {}
        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
    }
}

/// What `axum::serve` does for one connection, graceful shutdown included.
pub async fn serve_http<I>(io: I, router: Router, shutdown: &CancellationToken)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection =
        builder.serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(router));
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

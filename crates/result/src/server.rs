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

use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::direct_events;
use crate::events::Streams;

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
    let token = shutdown.clone();
    voting::accept::serve_connections(listener, shutdown, move |stream| {
        connection(stream, router.clone(), streams.clone(), token.clone())
    })
    .await;
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
        Box::pin(voting::accept::serve_http(stream, router, &shutdown)).await;
    }
}

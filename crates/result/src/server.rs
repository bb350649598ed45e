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
use tokio::time::{Instant, timeout_at};
use tokio_util::sync::CancellationToken;
use voting::gate::Slot;
use voting::limits::ConnectionLimits;

use crate::direct_events;
use crate::events::Streams;

/// Serves `router` (and lean event streams) on `listener` until `shutdown`
/// is cancelled, then waits for every connection to finish: requests in
/// flight complete, and event streams end with the feed.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    streams: Streams,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) {
    let router = voting::http::observe(router);
    let token = shutdown.clone();
    voting::accept::serve_connections(listener, &limits, shutdown, move |stream, slot| {
        connection(
            stream,
            slot,
            router.clone(),
            streams.clone(),
            limits,
            token.clone(),
        )
    })
    .await;
}

/// Serves one connection on the path its first bytes call for. The wait
/// for them counts against the first request head's deadline, and the
/// connection cap may close the connection to make room meanwhile.
async fn connection(
    stream: TcpStream,
    slot: Slot,
    router: Router,
    streams: Streams,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) {
    let deadline = Instant::now() + limits.head_timeout;
    let peek = async {
        tokio::select! {
            () = shutdown.cancelled() => None,
            lean = timeout_at(deadline, direct_events::opens_with_events(&stream)) => lean.ok(),
        }
    };
    let Some(Some(lean)) = slot.wait(peek).await else {
        return;
    };
    if lean {
        direct_events::serve(stream, &slot, deadline, &streams, &shutdown).await;
    } else {
        // Boxed: a task is as large as its largest state, and hyper's
        // connection would otherwise make every lean stream as large.
        let http = voting::accept::serve_http(stream, router, &slot, &limits, &shutdown);
        Box::pin(http).await;
    }
}

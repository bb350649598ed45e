//! The vote page of the voting app.
//!
//! `GET /` shows the two options; `POST /` queues the vote with
//! `RPUSH votes {"voter_id": …, "vote": …, "ts": …}` and answers only after
//! Redis has accepted it. Concurrent votes are coalesced into one `RPUSH` by
//! [`queue::VoteQueue`], which is what lets one process keep up with Redis.
//!
//! Those two routes are answered by a small HTTP/1.1 loop (`lean`) in front
//! of hyper and the axum router, because per request hyper and axum cost
//! about as much CPU as the kernel's TCP work does. Any request the loop
//! does not recognise as plain moves its connection to the router, which
//! answers everything else (errors, `/healthz`, `/metrics`) as before.

mod ask;
mod config;
mod lean;
mod page;
pub mod queue;
mod routes;
mod server;

use std::convert::Infallible;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use crate::config::Config;

/// Serves the vote page on `listener` until `shutdown` is cancelled. Votes
/// accepted before shutdown are all written to Redis before it returns. It
/// cannot fail: a lost dependency is answered with 503 until it is back.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), Infallible> {
    describe_metrics();
    let (queue, writer) = queue::VoteQueue::start(config.redis_connection());
    let limits = config.connections;
    let state = routes::State::new(config, queue);
    let router = voting::http::observe(routes::router(state.clone()));
    server::serve(listener, state, router, limits, shutdown).await;
    // The connections and their queue handles are gone: the writer flushes
    // what is pending and stops.
    writer.finish().await;
    Ok(())
}

/// Installs the Prometheus recorder and documents vote's metrics, so that
/// `/metrics` passes `promtool check metrics` and the counters the alerts
/// divide by exist from the start.
fn describe_metrics() {
    use metrics::{describe_counter, describe_histogram};
    voting::telemetry::metrics();
    describe_counter!(
        "vote_votes_queued_total",
        "Votes acknowledged after Redis accepted them, by option."
    );
    describe_counter!(
        "vote_rejected_total",
        "Votes refused, by reason: form, missing_vote, unknown_option, voter_id or queue (Redis unavailable)."
    );
    describe_counter!(
        "vote_redis_errors_total",
        "RPUSH batches Redis refused or did not answer in time."
    );
    describe_counter!(
        "vote_redis_reconnects_total",
        "Times Redis answered again after a failed RPUSH."
    );
    describe_histogram!(
        "vote_queue_write_seconds",
        "How long one coalesced RPUSH took."
    );
    describe_histogram!(
        "vote_queue_batch_size",
        "Votes carried by one coalesced RPUSH."
    );
    queue::REDIS_RECONNECTS.register();
}

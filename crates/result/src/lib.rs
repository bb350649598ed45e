//! The result service: live percentages of the vote, pushed to browsers.
//!
//! A single feed task listens for the worker's `votes_changed` notifications
//! on PostgreSQL, reads the counts and publishes the tally through a watch
//! channel. The counts come from `vote_tally`, which triggers keep equal to
//! the original app's query (`tally_table`), so a recount costs the same for
//! a million voters as for ten; a periodic reconcile repairs it after writes
//! that bypassed the triggers (`reconcile`). Where the database user may
//! only read `votes`, result counts with the original query (`counting`).
//! The page, `/api/results` and every
//! `/events` stream read that channel, so the database sees one query per
//! change however many people watch, and a database outage only makes the
//! numbers stale while `/healthz` reports it.
//!
//! The service runs its own accept loop (`server`): connections that open
//! with `GET /events` are answered directly on the socket, which keeps an
//! idle watcher at about 2 KiB instead of hyper's 21 KiB; everything else
//! goes through hyper and the axum router.

mod config;
mod counting;
mod direct_events;
mod events;
mod feed;
mod feed_error;
mod page;
mod reconcile;
mod routes;
mod server;
mod snapshot;
mod tally_table;

pub use crate::config::{
    Config, DEFAULT_MAX_SSE_CLIENTS, DEFAULT_RECONCILE_INTERVAL, DEFAULT_REFRESH_INTERVAL,
    MAX_RECONCILE_INTERVAL, MAX_REFRESH_INTERVAL, MIN_RECONCILE_INTERVAL, MIN_REFRESH_INTERVAL,
};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::events::Streams;
use crate::routes::AppState;

/// Why the service stopped other than by a requested shutdown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The tally feed task panicked; the numbers could no longer change.
    #[error("the tally feed stopped unexpectedly: {0}")]
    Feed(#[source] tokio::task::JoinError),
}

/// Serves the result page on `listener` until `shutdown` is cancelled.
///
/// It starts without the database and keeps reconnecting to it, so it can
/// start before PostgreSQL and survive its restarts. On shutdown the event
/// streams end at once and requests in flight finish.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    describe_metrics();
    let schedule = feed::Schedule {
        refresh: config.refresh_interval,
        reconcile: config.reconcile_interval,
    };
    let (feed, feed_task) = feed::spawn(config.database, schedule, shutdown.clone());
    let streams = Streams::new(feed.clone(), config.max_sse_clients);
    let state = AppState::new(feed, config.options, streams.clone());
    let limits = config.connections;
    server::serve(listener, routes::router(state), streams, limits, shutdown).await;
    feed_task.await.map_err(Error::Feed)
}

/// Installs the Prometheus recorder now (it is otherwise installed at the
/// first scrape, and whatever was recorded before it would be lost) and
/// documents our metrics.
fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    voting::telemetry::metrics();
    describe_gauge!("result_sse_clients", "Open /events streams.");
    describe_counter!(
        "result_sse_refused_total",
        "/events requests refused because MAX_SSE_CLIENTS streams were open."
    );
    describe_counter!(
        "result_recounts_total",
        "Count queries run, by trigger: connect, notify, refresh or reconcile (after a repair)."
    );
    describe_histogram!(
        "result_recount_duration_seconds",
        "How long the count query took."
    );
    describe_counter!(
        "result_notifications_total",
        "votes_changed notifications received."
    );
    describe_counter!(
        "result_tally_changes_total",
        "Recounts whose tally differed from the last, pushed to clients."
    );
    describe_gauge!(
        "result_tally_refreshed_timestamp_seconds",
        "Unix time of the last successful count; time() minus it is the tally's age."
    );
    describe_gauge!(
        "result_db_up",
        "1 while the feed holds a working PostgreSQL connection."
    );
    describe_gauge!(
        "result_tally_drift_votes",
        "Votes the last reconcile found miscounted in vote_tally (0: the tally was right)."
    );
    describe_counter!(
        "result_tally_repairs_total",
        "Reconciles that found vote_tally wrong (a write bypassed its triggers) and repaired it."
    );
    describe_counter!(
        "result_db_errors_total",
        "Times the PostgreSQL connection failed or could not be made."
    );
    describe_counter!(
        "result_db_reconnects_total",
        "PostgreSQL sessions set up after the first one was lost."
    );
    // At zero from the start, so that rate() and the alerts see them.
    for name in [
        "result_db_errors_total",
        "result_db_reconnects_total",
        "result_sse_refused_total",
    ] {
        metrics::counter!(name).increment(0);
    }
}

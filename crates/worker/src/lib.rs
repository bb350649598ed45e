//! The worker of the voting app.
//!
//! It moves votes from the Redis list `votes` into the PostgreSQL table
//! `votes`, in batches: take up to `BATCH_SIZE` votes into this worker's
//! processing list, each stamped with its place in the queue ([`queue`]),
//! keep each voter's latest ([`batch`]), upsert them in one statement
//! ([`store`]), then drop them from the processing list.
//! A vote leaves Redis only after its batch is committed, so a worker killed
//! at any moment loses nothing. Messages it cannot use go to `votes:dead`
//! with the reason, and the worker goes on.

pub mod batch;
mod config;
mod health;
mod heartbeat;
pub mod queue;
pub mod store;
mod worker;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use crate::config::{Config, DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE};
pub use crate::queue::IdInUse;

/// Why the worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The health and metrics server failed.
    #[error("serving HTTP failed: {0}")]
    Serve(#[from] std::io::Error),
    /// Another live worker has the same id.
    #[error(transparent)]
    IdInUse(#[from] IdInUse),
}

/// Runs the worker until `shutdown` is cancelled, serving `/healthz` and
/// `/metrics` on `listener`. On shutdown it commits and acknowledges the batch
/// in hand, gives back anything else it holds, and returns.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    describe_metrics();
    let queue = queue::ReliableQueue::new(&config.redis, &config.worker_id);
    let store = store::Store::new(config.database.clone());
    let router = health::router(queue.clone(), store.shared());
    // The HTTP server outlives the loop a little, so /healthz answers while
    // the last batch is committed.
    let http_shutdown = CancellationToken::new();
    let http = tokio::spawn(voting::http::serve(listener, router, http_shutdown.clone()));
    let outcome = worker::Worker::new(queue, store, config.batch_size)
        .run(shutdown)
        .await;
    http_shutdown.cancel();
    http.await.expect("the HTTP task does not panic")?;
    outcome
}

/// Installs the Prometheus recorder and documents the worker's metrics, so
/// that `/metrics` passes `promtool check metrics` and the counters the
/// alerts and dashboard read exist from the start.
fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    voting::telemetry::metrics();
    let counters = [
        (
            "worker_votes_processed_total",
            "Votes committed to PostgreSQL (a voter's latest in each batch).",
        ),
        (
            "worker_votes_superseded_total",
            "Votes dropped because the same batch held a newer vote of the same voter.",
        ),
        (
            "worker_votes_dead_lettered_total",
            "Messages moved to votes:dead because they were not usable votes.",
        ),
        (
            "worker_votes_recovered_total",
            "Votes returned to the queue from the processing list of a gone worker.",
        ),
        (
            "worker_redis_errors_total",
            "Redis commands that failed (take, acknowledge, heartbeat).",
        ),
        (
            "worker_db_errors_total",
            "PostgreSQL connects or batch writes that failed.",
        ),
        (
            "worker_redis_reconnects_total",
            "Times Redis answered a take again after one failed.",
        ),
        (
            "worker_db_reconnects_total",
            "PostgreSQL connections made after the first one was lost.",
        ),
    ];
    for (name, help) in counters {
        describe_counter!(name, help);
        // At zero from the start, so that rate() and the alerts see them.
        metrics::counter!(name).increment(0);
    }
    describe_gauge!(
        "worker_queue_depth",
        "Votes waiting in the Redis list votes, sampled every heartbeat."
    );
    describe_gauge!(
        "worker_dead_letter_depth",
        "Messages in votes:dead, sampled every heartbeat."
    );
    describe_histogram!(
        "worker_batch_size",
        "Messages taken from Redis in one batch."
    );
    describe_histogram!(
        "worker_batch_seconds",
        "How long one batch took from take to acknowledge."
    );
    describe_histogram!(
        "worker_vote_lag_seconds",
        "Per batch, how long its oldest vote waited between vote accepting it and its commit."
    );
}

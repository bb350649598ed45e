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

//! Coalesces concurrent votes into one `RPUSH` and acknowledges each vote only
//! after Redis has answered.
//!
//! Handlers hand their message to one writer task through a channel. While a
//! batch is on its way to Redis the next requests pile up in the channel, and
//! the writer takes them all at once: under load one `RPUSH votes m1 m2 …`
//! carries many votes, so Redis, not the number of round trips, sets the pace.

use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use voting::queue::QUEUE_KEY;
use voting::telemetry::Reconnects;

/// Votes waiting for the writer; past this, handlers wait for room, which
/// pushes back on clients instead of growing memory without bound.
const CHANNEL_CAPACITY: usize = 16 * 1024;

/// The most votes in one `RPUSH`. Large enough to absorb any burst one
/// process sees, small enough to keep each command well under a megabyte.
const MAX_BATCH: usize = 4096;

/// Batches on their way to Redis at once. With one in flight the next batch
/// grows while Redis answers; a second overlaps the round trip.
const MAX_IN_FLIGHT: usize = 2;

/// How long a handler waits for its vote to be acknowledged before it answers
/// 503. Redis answers in microseconds when healthy.
const ACK_TIMEOUT: Duration = Duration::from_secs(3);

/// Redis answering again after a failed write.
pub(crate) static REDIS_RECONNECTS: Reconnects = Reconnects::new("vote_redis_reconnects_total");

/// How long a health probe may take.
const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// Why a vote was not acknowledged, and so what is known about it: either it
/// is certainly not in the queue, or it may have landed there anyway.
/// Sending it again is safe in both cases: the last vote wins.
#[derive(Debug, Clone, thiserror::Error)]
pub enum QueueError {
    /// Redis answered with an error or refused the connection: not queued.
    #[error("Redis refused it: {0}")]
    Refused(String),
    /// The push may have reached Redis, but no answer came back (the
    /// connection broke on the way).
    #[error("Redis did not answer: {0}")]
    NoAnswer(String),
    /// Redis did not answer in time; the push may still land.
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
    /// The service is shutting down: not queued.
    #[error("the vote queue is closed")]
    Closed,
}

impl QueueError {
    /// Sorts a Redis error by what it says about the command: an error reply
    /// or a refused connection means it was not carried out.
    fn from_redis(e: &redis::RedisError) -> QueueError {
        let answered = matches!(
            e.kind(),
            redis::ErrorKind::Server(_) | redis::ErrorKind::Extension
        );
        if answered || e.is_connection_refusal() {
            QueueError::Refused(e.to_string())
        } else {
            QueueError::NoAnswer(e.to_string())
        }
    }

    /// Whether the vote may be in the queue even so.
    pub fn may_have_landed(&self) -> bool {
        matches!(self, QueueError::NoAnswer(_) | QueueError::Timeout(_))
    }
}

struct Pending {
    message: String,
    ack: oneshot::Sender<Result<(), QueueError>>,
}

/// The handlers' side of the queue: cheap to clone, one per request.
#[derive(Clone)]
pub struct VoteQueue {
    sender: mpsc::Sender<Pending>,
    connection: ConnectionManager,
}

/// The writer task; [`Writer::finish`] waits until every queued vote is written.
pub struct Writer {
    task: tokio::task::JoinHandle<()>,
}

impl VoteQueue {
    /// Starts the writer on `connection`. The writer stops once every
    /// [`VoteQueue`] clone is dropped and the votes they sent are written.
    pub fn start(connection: ConnectionManager) -> (VoteQueue, Writer) {
        let (sender, receiver) = mpsc::channel(CHANNEL_CAPACITY);
        let task = tokio::spawn(write_loop(receiver, connection.clone()));
        (VoteQueue { sender, connection }, Writer { task })
    }

    /// Queues one message and waits until Redis has it.
    pub async fn push(&self, message: String) -> Result<(), QueueError> {
        let (ack, acked) = oneshot::channel();
        self.sender
            .send(Pending { message, ack })
            .await
            .map_err(|_| QueueError::Closed)?;
        match tokio::time::timeout(ACK_TIMEOUT, acked).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(QueueError::NoAnswer("the vote writer stopped".into())),
            Err(_) => Err(QueueError::Timeout(ACK_TIMEOUT)),
        }
    }

    /// Whether Redis answers a PING, for `/healthz`.
    pub async fn ping(&self) -> Result<(), QueueError> {
        let mut connection = self.connection.clone();
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut connection);
        match tokio::time::timeout(PING_TIMEOUT, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(QueueError::from_redis(&e)),
            Err(_) => Err(QueueError::Timeout(PING_TIMEOUT)),
        }
    }
}

impl Writer {
    /// Waits until the writer has written (or failed) every queued vote.
    pub async fn finish(self) {
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the vote writer stopped abnormally");
        }
    }
}

async fn write_loop(mut receiver: mpsc::Receiver<Pending>, connection: ConnectionManager) {
    let mut in_flight = JoinSet::new();
    let mut open = true;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        tokio::select! {
            biased;
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                if let Err(e) = done {
                    tracing::error!(error = %e, "a vote batch task failed");
                }
            }
            received = receiver.recv_many(&mut batch, MAX_BATCH), if open && in_flight.len() < MAX_IN_FLIGHT => {
                if received == 0 {
                    open = false;
                } else {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(MAX_BATCH));
                    in_flight.spawn(write_batch(connection.clone(), full));
                }
            }
            else => break,
        }
    }
}

async fn write_batch(mut connection: ConnectionManager, batch: Vec<Pending>) {
    let mut command = redis::cmd("RPUSH");
    command.arg(QUEUE_KEY);
    for pending in &batch {
        command.arg(pending.message.as_bytes());
    }
    let started = Instant::now();
    let outcome = command
        .query_async::<i64>(&mut connection)
        .await
        .map(drop)
        .map_err(|e| QueueError::from_redis(&e));
    metrics::histogram!("vote_queue_write_seconds").record(started.elapsed().as_secs_f64());
    metrics::histogram!("vote_queue_batch_size").record(batch.len() as f64);
    match &outcome {
        Ok(()) => REDIS_RECONNECTS.succeeded(),
        Err(e) => {
            REDIS_RECONNECTS.failed();
            metrics::counter!("vote_redis_errors_total").increment(1);
            tracing::warn!(error = %e, votes = batch.len(), "could not queue a batch of votes");
        }
    }
    for pending in batch {
        // The handler may have timed out and gone; its vote is in Redis anyway.
        let _ = pending.ack.send(outcome.clone());
    }
}

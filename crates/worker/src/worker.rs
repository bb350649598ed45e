//! The worker's loop: take, read, commit, acknowledge; again. The next
//! batch is taken while the one before it commits, so Redis' round trip is
//! hidden behind PostgreSQL's; it waits behind the committing batch in the
//! processing list and is committed next, unless that batch could not be
//! acknowledged, in which case the next take hands both back and takes
//! them again.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use voting::connect::Backoff;
use voting::queue::{DeadLetter, timestamp_micros};
use voting::telemetry::Reconnects;

use crate::batch::Batch;
use crate::queue::{ReliableQueue, Take};
use crate::store::Store;
use crate::{Error, heartbeat};

/// Redis answering a take again after one failed.
static REDIS_RECONNECTS: Reconnects = Reconnects::new("worker_redis_reconnects_total");

/// The longest wait between attempts while Redis or PostgreSQL is down.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How long an idle worker may spend connecting to PostgreSQL before it
/// looks at the queue again.
const WARM_UP_TIMEOUT: Duration = Duration::from_secs(1);

/// After shutdown is asked for, how long the batch in hand may keep trying
/// to commit. Docker kills a container 10 s after SIGTERM; the votes of a
/// batch that could not commit in time stay held in Redis and are not lost.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// Another process holds this worker id's heartbeat: this one must leave the
/// processing list, which may hold that process' batch, alone and stop.
fn fenced(step: &'static str) {
    metrics::counter!("worker_fenced_total", "step" => step).increment(1);
    tracing::warn!(
        step,
        "another process holds this worker id now; leaving its processing list alone and stopping"
    );
}

pub(crate) struct Worker {
    queue: ReliableQueue,
    store: Store,
    batch_size: usize,
}

impl Worker {
    pub(crate) fn new(queue: ReliableQueue, store: Store, batch_size: usize) -> Worker {
        Worker {
            queue,
            store,
            batch_size,
        }
    }

    /// Processes votes until `shutdown`, then gives back what it still holds.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) -> Result<(), Error> {
        if !heartbeat::claim(&self.queue, &shutdown).await {
            return Ok(());
        }
        tracing::info!(
            worker = self.queue.worker_id(),
            batch_size = self.batch_size,
            "processing votes"
        );
        let stop_beat = CancellationToken::new();
        let id_lost = CancellationToken::new();
        let beat = tokio::spawn({
            let (queue, stop_beat, id_lost) =
                (self.queue.clone(), stop_beat.clone(), id_lost.clone());
            async move {
                let outcome = heartbeat::keep_alive(queue, stop_beat).await;
                if outcome.is_err() {
                    id_lost.cancel();
                }
                outcome
            }
        });
        self.process(&shutdown, &id_lost).await;
        stop_beat.cancel();
        // Another process owns this id's list now: leave it alone.
        beat.await.expect("the heartbeat task does not panic")?;
        match self.queue.release().await {
            Ok(0) => {}
            Ok(returned) => tracing::info!(votes = returned, "gave held votes back to the queue"),
            Err(e) => {
                tracing::warn!(error = %e, "could not give held votes back; they stay held and will be recovered")
            }
        }
        Ok(())
    }

    async fn process(&mut self, shutdown: &CancellationToken, id_lost: &CancellationToken) {
        let mut backoff = Backoff::new(MAX_BACKOFF);
        // The take made while the last batch committed, if that batch was
        // acknowledged: it is the next batch.
        let mut prefetched: Option<redis::RedisResult<Take>> = None;
        loop {
            let taken = match prefetched.take() {
                Some(taken) => taken,
                None => {
                    self.warm_up(shutdown).await;
                    tokio::select! {
                        taken = self.queue.take(self.batch_size) => taken,
                        _ = shutdown.cancelled() => return,
                        _ = id_lost.cancelled() => return,
                    }
                }
            };
            if shutdown.is_cancelled() || id_lost.is_cancelled() {
                // What was taken stays held; `release` gives it back.
                return;
            }
            if taken.is_ok() {
                REDIS_RECONNECTS.succeeded();
            }
            match taken {
                Ok(Take::Votes { messages, dead }) => {
                    if dead > 0 {
                        metrics::counter!("worker_votes_dead_lettered_total")
                            .increment(dead as u64);
                        tracing::warn!(
                            messages = dead,
                            "moved over-long messages to the dead-letter list"
                        );
                    }
                    if !messages.is_empty() {
                        backoff.reset();
                        let (committed, next) = tokio::join!(
                            commit(&mut self.store, &self.queue, &messages, shutdown),
                            self.queue.take_more(self.batch_size),
                        );
                        match committed {
                            Committed::Acknowledged => prefetched = Some(next),
                            // The next take hands back both batches.
                            Committed::Held => {}
                            Committed::Stop => return,
                        }
                    }
                }
                Ok(Take::NotOurs) => {
                    fenced("take");
                    return;
                }
                Ok(Take::NoCounter) => {
                    if !self.start_counter().await {
                        tokio::select! {
                            _ = tokio::time::sleep(backoff.next_delay()) => {}
                            _ = shutdown.cancelled() => return,
                        }
                    }
                }
                Err(e) => {
                    REDIS_RECONNECTS.failed();
                    metrics::counter!("worker_redis_errors_total").increment(1);
                    tracing::warn!(error = %e, "cannot take votes from Redis");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff.next_delay()) => {}
                        _ = shutdown.cancelled() => return,
                    }
                }
            }
        }
    }

    /// Sets a missing sequence counter above the table's highest `seq`, so
    /// that after Redis lost its data new votes still beat stored ones.
    async fn start_counter(&mut self) -> bool {
        let highest = match self.store.highest_seq().await {
            Ok(highest) => highest,
            Err(e) => {
                metrics::counter!("worker_db_errors_total").increment(1);
                tracing::warn!(error = %e, "cannot read the highest stored seq");
                return false;
            }
        };
        if let Err(e) = self.queue.raise_counter(highest).await {
            metrics::counter!("worker_redis_errors_total").increment(1);
            tracing::warn!(error = %e, "cannot start the vote sequence counter");
            return false;
        }
        tracing::info!(
            highest,
            "started the vote sequence counter above the stored votes"
        );
        true
    }

    /// Makes sure PostgreSQL is connected while there is nothing to do.
    async fn warm_up(&mut self, shutdown: &CancellationToken) {
        let warmed = tokio::select! {
            warmed = self.store.warm_up(WARM_UP_TIMEOUT) => warmed,
            _ = shutdown.cancelled() => return,
        };
        if let Err(e) = warmed {
            metrics::counter!("worker_db_errors_total").increment(1);
            tracing::debug!(error = %e, "PostgreSQL is not reachable yet");
        }
    }
}

/// How committing one take ended.
enum Committed {
    /// Stored and dropped from the processing list.
    Acknowledged,
    /// Stored, but Redis did not answer the acknowledgement: the votes
    /// stay held and the next full take hands them back.
    Held,
    /// Shutdown came and the grace period ran out before the batch could
    /// be committed, or another process holds this worker's id.
    Stop,
}

/// Commits one take and acknowledges it.
#[tracing::instrument(skip_all, fields(taken = messages.len()))]
async fn commit(
    store: &mut Store,
    queue: &ReliableQueue,
    messages: &[Vec<u8>],
    shutdown: &CancellationToken,
) -> Committed {
    let started = Instant::now();
    let batch = Batch::read(messages);
    let mut backoff = Backoff::new(MAX_BACKOFF);
    let mut grace_ends: Option<Instant> = None;
    let written = loop {
        match store.write(&batch).await {
            Ok(written) => break written,
            Err(e) => {
                metrics::counter!("worker_db_errors_total").increment(1);
                tracing::warn!(error = %e, "cannot commit the batch; retrying");
            }
        }
        let mut wait = backoff.next_delay();
        if shutdown.is_cancelled() {
            let ends = *grace_ends.get_or_insert_with(|| Instant::now() + SHUTDOWN_GRACE);
            let left = ends.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::warn!(
                    "shutting down with an uncommitted batch; its votes stay held in Redis"
                );
                return Committed::Stop;
            }
            wait = wait.min(left);
        }
        tokio::time::sleep(wait).await;
    };

    let worker = queue.worker_id().to_owned();
    let at = timestamp_micros();
    let dead: Vec<DeadLetter> = batch
        .unusable
        .iter()
        .map(|u| (u.position, u.reason.clone()))
        .chain(written.refused.iter().cloned())
        .map(|(position, reason)| DeadLetter {
            reason,
            message: String::from_utf8_lossy(&messages[position]).into_owned(),
            worker: worker.clone(),
            at,
            size: Some(messages[position].len() as u64),
        })
        .collect();
    for letter in &dead {
        tracing::warn!(reason = %letter.reason, "moved an unusable message to the dead-letter list");
    }
    // If this fails the votes stay held; the next take returns them and
    // they are written again, which changes nothing.
    let acknowledged = match queue.acknowledge(batch.taken, &dead).await {
        Ok(true) => Committed::Acknowledged,
        Ok(false) => {
            fenced("acknowledgement");
            return Committed::Stop;
        }
        Err(e) => {
            metrics::counter!("worker_redis_errors_total").increment(1);
            tracing::warn!(error = %e, "cannot acknowledge the batch; it will be taken again");
            Committed::Held
        }
    };
    let stored = batch.rows.len() - written.refused.len();
    metrics::counter!("worker_votes_processed_total").increment(stored as u64);
    metrics::counter!("worker_votes_superseded_total").increment(batch.superseded as u64);
    metrics::counter!("worker_votes_dead_lettered_total").increment(dead.len() as u64);
    metrics::histogram!("worker_batch_size").record(batch.taken as f64);
    metrics::histogram!("worker_batch_seconds").record(started.elapsed().as_secs_f64());
    if let Some(oldest) = batch.rows.iter().filter_map(|row| row.ts).min() {
        let waited_micros = timestamp_micros().saturating_sub(oldest).max(0);
        metrics::histogram!("worker_vote_lag_seconds").record(waited_micros as f64 / 1e6);
    }
    tracing::debug!(
        stored,
        changed = written.changed,
        dead = dead.len(),
        "batch committed"
    );
    acknowledged
}

//! The worker's background duties: keep its heartbeat alive, hand back the
//! votes of gone workers, and report queue depths.

use tokio_util::sync::CancellationToken;

use crate::queue::{HEARTBEAT_INTERVAL, IdInUse, ReliableQueue};

/// Claims the worker id, waiting while another process still holds it (a
/// previous run of this worker whose heartbeat has not expired yet).
pub(crate) async fn claim(queue: &ReliableQueue, shutdown: &CancellationToken) -> bool {
    let mut warned = false;
    while !shutdown.is_cancelled() {
        match queue.heartbeat().await {
            Ok(Ok(())) => return true,
            Ok(Err(IdInUse(id))) if !warned => {
                tracing::warn!(worker = %id, "worker id still held, waiting for its heartbeat to expire");
                warned = true;
            }
            Ok(Err(_)) => {}
            Err(e) => tracing::warn!(error = %e, "cannot reach Redis to claim the worker id"),
        }
        tokio::select! {
            _ = tokio::time::sleep(HEARTBEAT_INTERVAL) => {}
            _ = shutdown.cancelled() => {}
        }
    }
    false
}

/// Runs until `stop` is cancelled. Returns an error if another live process
/// took this worker's id, since two workers on one processing list would
/// acknowledge each other's votes.
pub(crate) async fn keep_alive(
    queue: ReliableQueue,
    stop: CancellationToken,
) -> Result<(), IdInUse> {
    let mut tick = tokio::time::interval(HEARTBEAT_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return Ok(()),
        }
        match queue.heartbeat().await {
            Ok(Ok(())) => {}
            Ok(Err(in_use)) => return Err(in_use),
            Err(e) => {
                metrics::counter!("worker_redis_errors_total").increment(1);
                tracing::warn!(error = %e, "cannot renew the heartbeat");
                continue;
            }
        }
        match queue.recover_gone_workers().await {
            Ok(0) => {}
            Ok(recovered) => {
                metrics::counter!("worker_votes_recovered_total").increment(recovered as u64);
            }
            Err(e) => tracing::warn!(error = %e, "cannot look for gone workers"),
        }
        if let Ok((queued, dead)) = queue.depths().await {
            metrics::gauge!("worker_queue_depth").set(queued as f64);
            metrics::gauge!("worker_dead_letter_depth").set(dead as f64);
        }
    }
}

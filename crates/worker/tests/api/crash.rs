//! A worker killed with SIGKILL at any point loses no vote: a restarted
//! worker takes its votes back, or another worker recovers them.

use crate::helpers::{Backends, Load, assert_nothing_lost, original, vote, wait_rows_at_least};

/// Starts a worker process, lets it take a batch and blocks that batch's
/// commit on a row lock, then kills the worker mid-batch.
async fn kill_mid_batch(backends: &Backends, voters: usize) {
    let mut messages = vec![vote("blocker", "b", 1)];
    messages.extend((0..voters - 1).map(|i| vote(&format!("{i:x}"), "a", 1)));
    kill_holding(backends, &messages).await;
}

/// Starts worker `w1` as a process, lets it commit one vote, then lets it
/// take `messages`, whose first must be the voter `blocker`, blocks that
/// batch's commit on a row lock, and kills the worker with SIGKILL.
pub async fn kill_holding(backends: &Backends, messages: &[String]) {
    let mut worker = backends.worker_process("w1", 1000);
    backends.push(&[vote("blocker", "a", 0)]).await;
    backends.wait_stored(1).await;
    let mut client = backends.postgres.client().await;
    let lock = client.transaction().await.unwrap();
    lock.execute("SELECT 1 FROM votes WHERE id = 'blocker' FOR UPDATE", &[])
        .await
        .unwrap();

    backends.push(messages).await;
    testkit::eventually(
        "the worker to hold a batch blocked on the lock",
        testkit::DEFAULT_DEADLINE,
        || async {
            let held = backends.list_len("votes:processing:w1").await;
            let waiting: i64 = backends
                .postgres
                .client()
                .await
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            (held == messages.len() && waiting > 0).then_some(())
        },
    )
    .await;

    worker.kill().await.unwrap();
    assert_eq!(
        backends.list_len("votes:processing:w1").await,
        messages.len(),
        "the dead worker's votes are still held"
    );
    lock.rollback().await.unwrap();
}

#[tokio::test]
async fn a_restarted_worker_takes_back_its_votes() {
    let backends = Backends::start().await;
    kill_mid_batch(&backends, 500).await;
    let _worker = backends.worker_process("w1", 1000);
    let stored = backends.wait_stored(500).await;
    assert_eq!(stored["blocker"], "b");
    testkit::eventually(
        "the held list to empty",
        testkit::DEFAULT_DEADLINE,
        || async { (backends.list_len("votes:processing:w1").await == 0).then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn another_worker_recovers_the_votes_of_a_killed_one() {
    let backends = Backends::start().await;
    kill_mid_batch(&backends, 500).await;
    let worker = backends.worker("w2", 1000).await;
    let stored = backends.wait_stored(500).await;
    assert_eq!(stored["blocker"], "b");
    testkit::eventually(
        "the dead worker's list to be emptied",
        testkit::DEFAULT_DEADLINE,
        || async { (backends.list_len("votes:processing:w1").await == 0).then_some(()) },
    )
    .await;
    worker.stop().await.unwrap();
}

#[tokio::test]
async fn killing_the_worker_repeatedly_under_load_loses_no_acknowledged_vote() {
    let backends = Backends::start().await;
    let service = backends.vote_service().await;
    let load = Load::start(&service, 8).await;
    let mut rows = 0;
    for _ in 0..4 {
        let mut worker = backends.worker_process("w1", 200);
        rows += 200;
        wait_rows_at_least(&backends, rows).await;
        worker.kill().await.unwrap();
    }
    let acknowledged = load.finish().await;
    let _worker = backends.worker_process("w1", 200);
    assert_nothing_lost(&backends, &acknowledged).await;
}

/// An original-format message (no `ts`) held by a worker killed mid-batch
/// comes back after a newer vote of the same voter was stored: it keeps the
/// place it was given when first taken, and does not overwrite the newer one.
#[tokio::test]
async fn an_original_message_redelivered_after_a_crash_does_not_overwrite_a_newer_vote() {
    let backends = Backends::start().await;
    kill_holding(&backends, &[vote("blocker", "b", 1), original("v", "a")]).await;
    // The newer vote, from a replica whose clock is far behind.
    backends.push(&[vote("v", "b", 0)]).await;
    let worker = backends.worker("w2", 1000).await;
    testkit::eventually(
        "the killed worker's votes recovered and everything committed",
        testkit::DEFAULT_DEADLINE,
        || async {
            let stored = backends.stored().await;
            (backends.idle().await && stored.get("blocker").map(String::as_str) == Some("b"))
                .then_some(())
        },
    )
    .await;
    assert_eq!(backends.stored().await["v"], "b");
    worker.stop().await.unwrap();
}

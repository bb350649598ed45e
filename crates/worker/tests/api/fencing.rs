//! Two processes with the same `WORKER_ID` (a partition, a restarted
//! container with a reused host name): the one that lost the heartbeat must
//! not acknowledge, and so remove, the other's uncommitted batch.

use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use redis::AsyncCommands;
use tokio::io::AsyncReadExt;

use crate::helpers::{Backends, vote};

/// Holds a row lock in its own connection until dropped or rolled back.
async fn lock_row(backends: &Backends, id: &str) -> tokio_postgres::Client {
    let client = backends.postgres.client().await;
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute("SELECT 1 FROM votes WHERE id = $1 FOR UPDATE", &[&id])
        .await
        .unwrap();
    client
}

async fn wait_held(backends: &Backends, count: usize) {
    testkit::eventually(
        &format!("{count} votes held by w"),
        testkit::DEFAULT_DEADLINE,
        || async { (backends.list_len("votes:processing:w").await == count).then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn a_worker_that_lost_its_id_leaves_the_new_owners_batch_alone() {
    let backends = Backends::start().await;
    let mut first = backends
        .worker_command("w", 1000, testkit::free_port())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the worker binary");
    backends
        .push(&[vote("lock1", "a", 0), vote("lock2", "a", 0)])
        .await;
    backends.wait_stored(2).await;

    // The first process takes a batch whose commit waits on a lock...
    let lock1 = lock_row(&backends, "lock1").await;
    let mut batch: Vec<String> = vec![vote("lock1", "b", 1)];
    batch.extend((0..9).map(|i| vote(&format!("x{i}"), "a", 1)));
    backends.push(&batch).await;
    wait_held(&backends, 10).await;
    // ...then stalls (a partition) until its heartbeat expires.
    let first_pid = Pid::from_raw(first.id().unwrap() as i32);
    kill(first_pid, Signal::SIGSTOP).unwrap();
    testkit::eventually(
        "the stalled worker's heartbeat to expire",
        testkit::DEFAULT_DEADLINE,
        || async {
            let mut conn = backends.redis.connection().await;
            let alive: bool = conn.exists("votes:heartbeat:w").await.unwrap();
            (!alive).then_some(())
        },
    )
    .await;

    // A second process with the same id claims it, takes the batch back and
    // commits it, then takes a second batch whose commit waits on another lock.
    let _second = backends.worker_process("w", 1000);
    lock1.batch_execute("ROLLBACK").await.unwrap();
    backends.wait_stored(11).await;
    wait_held(&backends, 0).await;
    let lock2 = lock_row(&backends, "lock2").await;
    let mut second_batch: Vec<String> = vec![vote("lock2", "b", 1)];
    second_batch.extend((0..4).map(|i| vote(&format!("y{i}"), "a", 1)));
    backends.push(&second_batch).await;
    wait_held(&backends, 5).await;

    // The first process wakes up with its commit done and tries to acknowledge.
    let mut stderr = first.stderr.take().expect("stderr is piped");
    kill(first_pid, Signal::SIGCONT).unwrap();
    tokio::time::timeout(Duration::from_secs(30), first.wait())
        .await
        .expect("the stale worker stops")
        .unwrap();
    let mut log = String::new();
    stderr.read_to_string(&mut log).await.unwrap();
    assert!(
        log.contains("leaving its processing list alone"),
        "the stale worker says why it stopped: {log}"
    );
    assert_eq!(
        backends.list_len("votes:processing:w").await,
        5,
        "the new owner's uncommitted batch is still held"
    );

    lock2.batch_execute("ROLLBACK").await.unwrap();
    let stored = backends.wait_stored(15).await;
    assert_eq!(stored["lock2"], "b");
    wait_held(&backends, 0).await;
}

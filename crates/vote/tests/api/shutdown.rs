//! A graceful shutdown is bounded in time: a request that never completes
//! is dropped after `SHUTDOWN_TIMEOUT_MS`, and the binary exits cleanly.

use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use testkit::ServiceProcess;

use crate::helpers::start_stuck_vote;

/// The shutdown timeout under test, short so that the test runs quickly.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_millis(500);

/// What the test allows beyond the timeout for the process to exit.
const MARGIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn sigterm_drops_a_request_that_never_completes_after_the_shutdown_timeout() {
    let redis = testkit::Redis::start().await;
    let url = redis.url();
    let timeout = SHUTDOWN_TIMEOUT.as_millis().to_string();
    let mut vote = ServiceProcess::start(
        env!("CARGO_BIN_EXE_vote"),
        &[
            ("REDIS_URL", url.as_str()),
            ("SHUTDOWN_TIMEOUT_MS", timeout.as_str()),
        ],
        None,
    )
    .await;
    let mut stuck = vote.connect().await;
    start_stuck_vote(&mut stuck).await;

    let pid = Pid::from_raw(vote.child.id().expect("running") as i32);
    kill(pid, Signal::SIGTERM).unwrap();
    let status = tokio::time::timeout(SHUTDOWN_TIMEOUT + MARGIN, vote.child.wait())
        .await
        .expect("vote exits within its shutdown timeout")
        .unwrap();
    assert!(status.success(), "{status}");
    drop(stuck);
}

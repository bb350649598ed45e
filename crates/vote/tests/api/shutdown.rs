//! A graceful shutdown is bounded in time: a request that never completes
//! is dropped after `SHUTDOWN_TIMEOUT_MS`, and the binary exits cleanly.

use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use testkit::ServiceProcess;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
    // The router reads this vote's body, which never comes in full: the
    // request stays in flight. hyper's `100 Continue` shows that the
    // handler has started to read it.
    let mut stuck = vote.connect().await;
    stuck
        .write_all(
            b"POST / HTTP/1.1\r\nHost: vote\r\nExpect: 100-continue\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n",
        )
        .await
        .unwrap();
    let mut interim = [0u8; 25];
    stuck.read_exact(&mut interim).await.unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stuck.write_all(b"vote=").await.unwrap();

    let pid = Pid::from_raw(vote.child.id().expect("running") as i32);
    kill(pid, Signal::SIGTERM).unwrap();
    let status = tokio::time::timeout(SHUTDOWN_TIMEOUT + MARGIN, vote.child.wait())
        .await
        .expect("vote exits within its shutdown timeout")
        .unwrap();
    assert!(status.success(), "{status}");
    drop(stuck);
}

//! The real binary: it stops on SIGTERM even when nobody reads its logs.

use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

#[tokio::test]
async fn sigterm_stops_the_binary_even_with_its_log_pipe_closed() {
    let redis = testkit::Redis::start().await;
    let port = testkit::free_port();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_vote"));
    command
        .env("PORT", port.to_string())
        .env("REDIS_URL", redis.url())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    testkit::die_with_test(&mut command);
    let mut child = command.spawn().expect("starting the vote binary");
    testkit::eventually(
        "the binary to listen",
        testkit::DEFAULT_DEADLINE,
        || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(drop)
        },
    )
    .await;
    // Whoever read the logs is gone: every later log line fails to write.
    drop(child.stderr.take());
    let pid = Pid::from_raw(child.id().expect("running") as i32);
    kill(pid, Signal::SIGTERM).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the binary stops after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
}

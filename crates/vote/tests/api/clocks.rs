//! Two vote replicas whose clocks are 10 s apart: a voter's later vote wins
//! even when it went through the replica whose clock is behind.

use std::path::Path;
use std::process::Stdio;

use redis::AsyncCommands;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use voting::config::Env;
use voting::service::ServiceConfig;

/// Debian's libfaketime (`apt-get install faketime`, listed in
/// scripts/install-deps). Preloaded into the binary itself: the `faketime`
/// wrapper forks, and its child would outlive a test that kills the wrapper.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// The real vote binary on `port`, its wall clock moved by `offset` (e.g. `+10s`).
fn vote_replica(redis: &testkit::Redis, port: u16, offset: Option<&str>) -> tokio::process::Child {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_vote"));
    command
        .env("PORT", port.to_string())
        .env("REDIS_URL", redis.url())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    if let Some(offset) = offset {
        assert!(
            Path::new(LIBFAKETIME).exists(),
            "{LIBFAKETIME} is missing: apt-get install faketime"
        );
        command
            .env("LD_PRELOAD", LIBFAKETIME)
            .env("FAKETIME", offset)
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    }
    testkit::die_with_test(&mut command);
    command.spawn().expect("starting the vote binary")
}

async fn vote_through(port: u16, voter: &str, choice: &str) {
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/");
    let response = testkit::eventually(
        "the replica to take the vote",
        testkit::DEFAULT_DEADLINE,
        || async {
            client
                .post(&url)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(COOKIE, format!("voter_id={voter}"))
                .body(format!("vote={choice}"))
                .send()
                .await
                .ok()
        },
    )
    .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_later_vote_wins_through_the_replica_whose_clock_is_behind() {
    let (redis, postgres) = tokio::join!(testkit::Redis::start(), testkit::Postgres::start());
    let (ahead, behind) = (testkit::free_port(), testkit::free_port());
    let _ahead = vote_replica(&redis, ahead, Some("+10s"));
    let _behind = vote_replica(&redis, behind, None);
    vote_through(ahead, "c10c", "a").await;
    vote_through(behind, "c10c", "b").await;

    // The clocks really are apart: the later vote carries the older time.
    let mut conn = redis.connection().await;
    let queued: Vec<String> = conn.lrange("votes", 0, -1).await.unwrap();
    let ts: Vec<i64> = queued
        .iter()
        .map(|m| {
            serde_json::from_str::<serde_json::Value>(m).unwrap()["ts"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert!(ts[0] - ts[1] > 9_000_000, "clocks not apart: {ts:?}");

    let env = Env::from_pairs([
        ("REDIS_URL", redis.url().as_str()),
        ("DATABASE_URL", postgres.url().as_str()),
        ("WORKER_ID", "w1"),
    ]);
    let config = worker::Config::from_env(&env).expect("valid test configuration");
    let shutdown = CancellationToken::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let worker = tokio::spawn(worker::run(listener, config, shutdown.clone()));
    let client = postgres.client().await;
    let stored = testkit::eventually("the vote stored", testkit::DEFAULT_DEADLINE, || async {
        let mut conn = conn.clone();
        let row = client
            .query_opt("SELECT vote FROM votes WHERE id = 'c10c'", &[])
            .await
            .ok()??;
        let queued: usize = conn.llen("votes").await.unwrap();
        let held: usize = conn.llen("votes:processing:w1").await.unwrap();
        (queued + held == 0).then(|| row.get::<_, String>(0))
    })
    .await;
    assert_eq!(stored, "b", "the later vote wins");
    shutdown.cancel();
    worker.await.unwrap().unwrap();
}

//! At the cap on open connections vote keeps answering: idle and slow
//! connections, on the lean path or the router's, give way to new ones; a
//! newcomer that finds every connection busy with a request gets a clear
//! `503`; and a crowd cannot exhaust file descriptors or memory.

use reqwest::header::CONTENT_TYPE;
use testkit::{DEFAULT_DEADLINE, ServiceProcess, after_one_request, eventually, is_closed};
use tokio::io::AsyncReadExt;
use voting::limits::FILE_DESCRIPTOR_HEADROOM;

use crate::helpers::{spawn_app_with, start_stuck_vote};

/// The open files limit of the service under test: low, so that a crowd
/// larger than it is quick to make.
const OPEN_FILES: u64 = 200;

/// Connections in the crowd, several times what the service may hold.
const CROWD: usize = 1000;

/// What the crowd may add to the service's resident memory. A held
/// connection costs a few KiB, so the cap's worth stays far below this;
/// the crowd's own worth of buffered heads would not.
const MEMORY_BUDGET: u64 = 16 << 20;

#[tokio::test]
async fn a_crowd_beyond_the_open_files_limit_gives_way_to_a_voter() {
    let redis = testkit::Redis::start().await;
    let url = redis.url();
    let vote = ServiceProcess::start(
        env!("CARGO_BIN_EXE_vote"),
        &[("REDIS_URL", url.as_str())],
        Some(OPEN_FILES),
    )
    .await;
    // A service that stopped accepting would leave requests hanging.
    let http = reqwest::Client::builder()
        .timeout(DEFAULT_DEADLINE)
        .build()
        .unwrap();
    let cast = || async {
        let response = http
            .post(vote.url("/"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("vote=b")
            .send()
            .await
            .expect("vote answers");
        response.status()
    };
    assert_eq!(cast().await, 200);
    let before = vote.resident_bytes();

    // Some of the crowd send nothing, the others large heads that never
    // end, on each path a request may take.
    let starts = ["", "GET / HTTP/1.1\r\nX-Slow: "];
    let cap = usize::try_from(OPEN_FILES - FILE_DESCRIPTOR_HEADROOM).unwrap();
    let _crowd = vote.crowd(CROWD, &starts, cap).await;

    assert_eq!(cast().await, 200, "a voter is served at the cap");
    let health = http.get(vote.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let after = vote.resident_bytes();
    assert!(
        after < before + MEMORY_BUDGET,
        "{CROWD} connections took vote from {before} to {after} bytes"
    );
    assert_eq!(redis_votes(&redis).await, 2);
}

async fn redis_votes(redis: &testkit::Redis) -> usize {
    use redis::AsyncCommands;
    let mut conn = redis.connection().await;
    conn.llen("votes").await.unwrap()
}

#[tokio::test]
async fn connections_idle_in_the_router_give_way_to_a_newcomer() {
    let app = spawn_app_with(&[("MAX_CONNECTIONS", "2")]).await;
    let address = app.address.trim_start_matches("http://");
    let oldest = after_one_request(address, "/healthz").await;
    let _newer = after_one_request(address, "/healthz").await;
    let _newcomer = after_one_request(address, "/healthz").await;
    eventually(
        "the oldest idle connection to close",
        DEFAULT_DEADLINE,
        || async { is_closed(&oldest).then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn a_newcomer_finding_every_connection_busy_gets_a_clear_503() {
    let app = spawn_app_with(&[("MAX_CONNECTIONS", "2")]).await;
    let address = app.address.trim_start_matches("http://");
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        start_stuck_vote(&mut stream).await;
        busy.push(stream);
    }
    let mut newcomer = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(DEFAULT_DEADLINE, newcomer.read_to_string(&mut answer))
        .await
        .expect("the newcomer is answered and closed")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
    assert!(answer.ends_with("too many connections\n"), "{answer}");

    busy.pop();
    eventually("a place to free up", DEFAULT_DEADLINE, || async {
        let response = app
            .client
            .post(&app.address)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("vote=a")
            .send()
            .await
            .ok()?;
        (response.status() == 200).then_some(())
    })
    .await;
}

//! At the cap on open connections vote keeps answering: idle and slow
//! connections give way to new ones, a newcomer finds every connection busy
//! only to get a clear `503`, and a crowd cannot exhaust file descriptors
//! or memory.

use reqwest::header::CONTENT_TYPE;
use testkit::{DEFAULT_DEADLINE, ServiceProcess, after_one_request, eventually};
use tokio::io::AsyncReadExt;
use voting::limits::FILE_DESCRIPTOR_HEADROOM;

use crate::helpers::spawn_app_with;

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

    // Half the crowd sends nothing, half a large head that never ends.
    let slow_head = format!("GET / HTTP/1.1\r\nX-Slow: {}", "x".repeat(2048));
    let cap = usize::try_from(OPEN_FILES - FILE_DESCRIPTOR_HEADROOM).unwrap();
    let _crowd = vote.crowd(CROWD, &slow_head, cap).await;

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
async fn a_newcomer_finding_every_connection_busy_gets_a_clear_503() {
    let app = spawn_app_with(&[("MAX_CONNECTIONS", "2")]).await;
    // The router's connections are busy for the cap until hyper's timer
    // closes them.
    let busy = [
        after_one_request(app.address.trim_start_matches("http://"), "/healthz").await,
        after_one_request(app.address.trim_start_matches("http://"), "/healthz").await,
    ];
    let mut newcomer = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(DEFAULT_DEADLINE, newcomer.read_to_string(&mut answer))
        .await
        .expect("the newcomer is answered and closed")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
    assert!(answer.ends_with("too many connections\n"), "{answer}");

    drop(busy);
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

//! At the cap on open connections result keeps answering: connections
//! that have sent no whole request give way to new ones, a newcomer that
//! finds every connection busy gets a clear `503`, and a crowd cannot
//! exhaust file descriptors or memory.

use testkit::{DEFAULT_DEADLINE, Postgres, ServiceProcess, eventually};
use tokio::io::AsyncReadExt;
use voting::limits::FILE_DESCRIPTOR_HEADROOM;

use crate::helpers::spawn_app_with;

/// The open files limit of the service under test: low, so that a crowd
/// larger than it is quick to make.
const OPEN_FILES: u64 = 200;

/// Connections in the crowd, several times what the service may hold.
const CROWD: usize = 1000;

/// What the crowd may add to the service's resident memory. A held
/// connection costs a few KiB, so the cap's worth stays far below this.
const MEMORY_BUDGET: u64 = 16 << 20;

#[tokio::test]
async fn a_crowd_beyond_the_open_files_limit_gives_way_to_a_reader() {
    let postgres = Postgres::start().await;
    let url = postgres.url();
    let result = ServiceProcess::start(
        env!("CARGO_BIN_EXE_result"),
        &[("DATABASE_URL", url.as_str())],
        Some(OPEN_FILES),
    )
    .await;
    // A service that stopped accepting would leave requests hanging.
    let http = reqwest::Client::builder()
        .timeout(DEFAULT_DEADLINE)
        .build()
        .unwrap();
    let status = |path: &'static str| {
        let request = http.get(result.url(path)).send();
        async move { request.await.expect("result answers").status() }
    };
    eventually("result to be healthy", DEFAULT_DEADLINE, || async {
        (status("/healthz").await == 200).then_some(())
    })
    .await;
    let before = result.resident_bytes();

    // Some of the crowd send nothing, the others large heads that never
    // end, on each path a request may take.
    let starts = [
        "",
        "GET /events HTTP/1.1\r\nX-Slow: ",
        "GET /api/results HTTP/1.1\r\nX-Slow: ",
    ];
    let cap = usize::try_from(OPEN_FILES - FILE_DESCRIPTOR_HEADROOM).unwrap();
    let _crowd = result.crowd(CROWD, &starts, cap).await;

    assert_eq!(
        status("/api/results").await,
        200,
        "a reader is served at the cap"
    );
    assert_eq!(status("/healthz").await, 200);
    let after = result.resident_bytes();
    assert!(
        after < before + MEMORY_BUDGET,
        "{CROWD} connections took result from {before} to {after} bytes"
    );
}

#[tokio::test]
async fn a_newcomer_finding_every_connection_busy_gets_a_clear_503() {
    // The second stream takes the place of the health check's idle
    // connection; event streams are busy.
    let app = spawn_app_with(&[("MAX_CONNECTIONS", "2")]).await;
    let mut streams = vec![app.events().await, app.events().await];
    let mut newcomer = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(DEFAULT_DEADLINE, newcomer.read_to_string(&mut answer))
        .await
        .expect("the newcomer is answered and closed")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
    assert!(answer.ends_with("too many connections\n"), "{answer}");

    streams.pop();
    eventually("a place to free up", DEFAULT_DEADLINE, || async {
        let response = reqwest::get(app.url("/api/results")).await.ok()?;
        (response.status() == 200).then_some(())
    })
    .await;
}

//! Slow and idle clients lose their connection in time, whether they are
//! still in result's protocol peek, on the lean event stream path or on the
//! router's, while a normal client is served.

use std::time::Duration;

use testkit::{after_one_request, all_cut_off, idle_until_closed, trickle_until_closed};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app_with};

/// What a test adds to a timeout for the server to notice and close: time
/// enough on a loaded machine, far less than a slow client would hold on.
const MARGIN: Duration = Duration::from_secs(5);

/// A short deadline, so that the tests run in seconds.
const SHORT: Duration = Duration::from_millis(800);

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}

/// Reads `/api/results` one after another until `slow` is done, and
/// returns how many were answered meanwhile.
async fn read_results_while<F: std::future::Future>(app: &TestApp, slow: F) -> u64 {
    let mut slow = std::pin::pin!(slow);
    let mut answered = 0;
    loop {
        tokio::select! {
            biased;
            _ = &mut slow => return answered,
            _ = app.results() => answered += 1,
        }
    }
}

/// A connection that has sent `start` and goes on a byte at a time.
async fn trickling(app: &TestApp, start: &str, within: Duration) -> tokio::task::JoinHandle<()> {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(start.as_bytes()).await.unwrap();
    tokio::spawn(trickle_until_closed(stream, within))
}

#[tokio::test]
async fn slow_senders_are_cut_off_at_the_head_deadline_while_results_are_read() {
    let head = SHORT;
    let app = spawn_app_with(&[
        ("REQUEST_HEAD_TIMEOUT_MS", &millis(head)),
        ("IDLE_TIMEOUT_MS", "3600000"),
    ])
    .await;
    let within = head + MARGIN;
    let address = app.addr.to_string();
    let mut routed = after_one_request(&address, "/api/results").await;
    routed
        .write_all(b"GET / HTTP/1.1\r\nX-Slow: ")
        .await
        .unwrap();
    let slow = vec![
        // Still in the peek: nothing sent at all.
        tokio::spawn(idle_until_closed(
            TcpStream::connect(app.addr).await.unwrap(),
            within,
        )),
        // Too little for the peek to tell: hyper reads the rest.
        trickling(&app, "G", within).await,
        // The lean event stream path.
        trickling(&app, "GET /events HTTP/1.1\r\nX-Slow: ", within).await,
        // A later head on the router's path.
        tokio::spawn(trickle_until_closed(routed, within)),
    ];
    let answered = read_results_while(&app, all_cut_off(slow)).await;
    assert!(answered > 0, "no one was served meanwhile");
}

#[tokio::test]
async fn idle_connections_close_after_the_idle_timeout() {
    let idle = SHORT;
    let app = spawn_app_with(&[
        ("REQUEST_HEAD_TIMEOUT_MS", "3600000"),
        ("IDLE_TIMEOUT_MS", &millis(idle)),
    ])
    .await;
    let kept = after_one_request(&app.addr.to_string(), "/api/results").await;
    let answered = read_results_while(&app, idle_until_closed(kept, idle + MARGIN)).await;
    assert!(answered > 0, "no one was served meanwhile");
}

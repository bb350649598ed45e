//! Slow and idle clients lose their connection in time, on the lean path
//! and the router's, while a normal client is served.

use std::time::Duration;

use testkit::{after_one_request, all_cut_off, idle_until_closed, trickle_until_closed};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app_with};

/// What a test adds to a timeout for the server to notice and close: time
/// enough on a loaded machine, far less than a slow client would hold on.
const MARGIN: Duration = Duration::from_secs(5);

/// A short deadline, so that the tests run in seconds.
const SHORT: Duration = Duration::from_millis(800);

/// The start of a request whose head never ends.
const ENDLESS_HEAD: &str = "GET / HTTP/1.1\r\nHost: vote\r\nX-Slow: ";

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}

/// Votes one after another until `slow` is done, each answered at once,
/// and returns how many votes were queued meanwhile.
async fn vote_while<F: std::future::Future>(app: &TestApp, slow: F) -> usize {
    let mut slow = std::pin::pin!(slow);
    let mut votes = 0u64;
    loop {
        let voter = format!("{votes:x}");
        tokio::select! {
            biased;
            _ = &mut slow => return app.queued().await.len(),
            response = app.post_vote("a", Some(&voter)) => {
                assert_eq!(response.status(), 200);
                votes += 1;
            }
        }
    }
}

#[tokio::test]
async fn slow_senders_are_cut_off_at_the_head_deadline_while_votes_go_on() {
    let head = SHORT;
    let app = spawn_app_with(&[
        ("REQUEST_HEAD_TIMEOUT_MS", &millis(head)),
        ("IDLE_TIMEOUT_MS", "3600000"),
    ])
    .await;
    let address = app.address.trim_start_matches("http://");
    let within = head + MARGIN;
    let mut slow = Vec::new();
    // A fresh connection that sends nothing, one that sends its first
    // head slowly, and later heads on the lean path and the router's.
    slow.push(tokio::spawn(idle_until_closed(
        TcpStream::connect(address).await.unwrap(),
        within,
    )));
    for stream in [
        TcpStream::connect(address).await.unwrap(),
        after_one_request(app.address.trim_start_matches("http://"), "/").await,
        after_one_request(app.address.trim_start_matches("http://"), "/healthz").await,
    ] {
        use tokio::io::AsyncWriteExt;
        let mut stream = stream;
        stream.write_all(ENDLESS_HEAD.as_bytes()).await.unwrap();
        slow.push(tokio::spawn(trickle_until_closed(stream, within)));
    }
    let votes = vote_while(&app, all_cut_off(slow)).await;
    assert!(votes > 0, "no vote was served meanwhile");
}

#[tokio::test]
async fn idle_connections_close_after_the_idle_timeout() {
    let idle = SHORT;
    let app = spawn_app_with(&[
        ("REQUEST_HEAD_TIMEOUT_MS", "3600000"),
        ("IDLE_TIMEOUT_MS", &millis(idle)),
    ])
    .await;
    let lean = after_one_request(app.address.trim_start_matches("http://"), "/").await;
    let routed = after_one_request(app.address.trim_start_matches("http://"), "/healthz").await;
    let both = async {
        tokio::join!(
            idle_until_closed(lean, idle + MARGIN),
            idle_until_closed(routed, idle + MARGIN),
        )
    };
    let votes = vote_while(&app, both).await;
    assert!(votes > 0, "no vote was served meanwhile");
}

//! The `loadgen` binary, driven as a user would.

use std::process::Output;

use crate::helpers::Stack;

async fn loadgen(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .expect("running loadgen")
}

#[tokio::test]
async fn vote_prints_a_json_summary() {
    let stack = Stack::vote_only().await;
    let output = loadgen(&["vote", &stack.vote_url, "-c", "4", "-n", "300", "--json"]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["acknowledged"], 300);
    assert_eq!(summary["connections"], 4);
    assert!(summary["latency"]["p99_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(stack.queued_voters().await.len(), 300);
}

#[tokio::test]
async fn watch_reports_its_streams() {
    let stack = Stack::full().await;
    let output = loadgen(&["watch", &stack.events_url(), "-c", "20", "-d", "200ms"]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("20 of 20 streams open"), "{text}");
}

#[tokio::test]
async fn mistakes_get_one_line_errors() {
    let output = loadgen(&["vote", "localhost:5000", "-n", "1"]).await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("loadgen: bad URL"), "{stderr}");
}

//! Graceful shutdown ends the event streams instead of waiting on them.

use std::process::Stdio;

use testkit::{DEFAULT_DEADLINE, Postgres, eventually};
use voting::tally::Tally;

use crate::helpers::spawn_app;

#[tokio::test]
async fn shutdown_completes_while_event_streams_are_open() {
    let app = spawn_app().await;
    let mut clients = Vec::new();
    for fresh in [true, false, true, false] {
        let mut events = if fresh {
            app.events().await
        } else {
            app.events_after_another_request().await
        };
        assert_eq!(events.next_tally().await, Tally { a: 0, b: 0 });
        clients.push(events);
    }

    app.shut_down().await.expect("a clean shutdown");
    for events in &mut clients {
        assert_eq!(events.next_within(DEFAULT_DEADLINE).await, None);
    }
}

#[tokio::test]
async fn the_binary_stops_cleanly_on_sigterm_with_a_stream_open() {
    let postgres = Postgres::start().await;
    let port = testkit::free_port();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_result"));
    command
        .env_clear()
        .env("PORT", port.to_string())
        .env("DATABASE_URL", postgres.url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    testkit::die_with_test(&mut command);
    let mut child = command.spawn().expect("starting the result binary");
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    eventually("the binary to be healthy", DEFAULT_DEADLINE, || async {
        let response = http.get(format!("{base}/healthz")).send().await.ok()?;
        (response.status() == 200).then_some(())
    })
    .await;
    let mut stream = http.get(format!("{base}/events")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.chunk().await.unwrap().is_some());

    let pid = nix::unistd::Pid::from_raw(child.id().unwrap() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = tokio::time::timeout(DEFAULT_DEADLINE, child.wait())
        .await
        .expect("the binary exits before the deadline")
        .unwrap();
    assert!(status.success(), "{status}");
}

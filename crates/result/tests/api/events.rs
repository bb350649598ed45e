//! `GET /events`: counts pushed to the browser as they change.

use voting::tally::Tally;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn a_client_sees_a_new_count_after_a_vote() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    assert_eq!(events.next_tally().await, Tally { a: 0, b: 0 });

    app.vote("aaaa", "a").await;
    assert_eq!(events.next_tally().await, Tally { a: 1, b: 0 });
    app.vote("aaaa", "b").await;
    assert_eq!(events.next_tally().await, Tally { a: 0, b: 1 });
}

#[tokio::test]
async fn a_stream_opened_on_a_kept_alive_connection_sees_changes_too() {
    let app = spawn_app().await;
    let mut events = app.events_after_another_request().await;
    assert_eq!(events.next_tally().await, Tally { a: 0, b: 0 });
    app.vote("aaaa", "b").await;
    assert_eq!(events.next_tally().await, Tally { a: 0, b: 1 });
}

#[tokio::test]
async fn every_client_sees_the_same_changes() {
    let app = spawn_app().await;
    let mut clients = Vec::new();
    for _ in 0..20 {
        let mut events = app.events().await;
        assert_eq!(events.next_tally().await, Tally { a: 0, b: 0 });
        clients.push(events);
    }
    app.vote("aaaa", "b").await;
    for events in &mut clients {
        assert_eq!(events.next_tally().await, Tally { a: 0, b: 1 });
    }
}

#[tokio::test]
async fn a_notification_without_a_change_pushes_nothing() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    assert_eq!(events.next_tally().await, Tally { a: 0, b: 0 });

    let before = app.metric("result_recounts_total").await;
    app.notify_only().await;
    testkit::eventually(
        "a recount after the notification",
        testkit::DEFAULT_DEADLINE,
        || async { (app.metric("result_recounts_total").await > before).then_some(()) },
    )
    .await;

    // Had the unchanged tally been pushed, it would come before this one.
    app.vote("aaaa", "a").await;
    assert_eq!(events.next_tally().await, Tally { a: 1, b: 0 });
}

#[tokio::test]
async fn clients_beyond_the_limit_are_refused_until_one_leaves() {
    let app = spawn_app_with(&[("MAX_SSE_CLIENTS", "2")]).await;
    let first = app.events().await;
    let _second = app.events_after_another_request().await;

    // Refused on both paths: a fresh connection, and through the router.
    let refused = reqwest::get(app.url("/events")).await.unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "5");
    assert!(refused.text().await.unwrap().contains("too many"));
    let http = reqwest::Client::new();
    http.get(app.url("/healthz")).send().await.unwrap();
    let refused = http.get(app.url("/events")).send().await.unwrap();
    assert_eq!(refused.status(), 503);

    drop(first);
    testkit::eventually(
        "a place for a new client",
        testkit::DEFAULT_DEADLINE,
        || async {
            let response = reqwest::get(app.url("/events")).await.ok()?;
            (response.status() == 200).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn bad_requests_on_a_fresh_connection_are_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = spawn_app().await;
    for request in [
        "GET /events HTTP/3\r\n\r\n",
        "GET /events?x HTTP/2\r\nX: y\r\n\r\n",
    ] {
        let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        socket.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    }
}

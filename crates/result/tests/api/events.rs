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
    let _second = app.events().await;

    let refused = app.get("/events").await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));

    drop(first);
    testkit::eventually(
        "a place for a new client",
        testkit::DEFAULT_DEADLINE,
        || async { (app.get("/events").await.status() == 200).then_some(()) },
    )
    .await;
}

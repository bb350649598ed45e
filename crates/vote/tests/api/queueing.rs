//! Votes reach the queue in the original app's format, once each.

use std::collections::HashSet;

use futures::future::join_all;

use crate::helpers::{cookie_voter, spawn_app};

#[tokio::test]
async fn the_page_shows_the_labels_and_hands_out_a_voter_id() {
    let app = spawn_app().await;
    let response = app.client.get(&app.address).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let voter = cookie_voter(&response).expect("a new visitor gets a voter id");
    assert!(voting::ballot::VoterId::parse(&voter).is_ok());
    let body = response.text().await.unwrap();
    assert!(body.contains("Tabs vs Spaces!"));
    assert!(body.contains("Processed by container ID"));
}

#[tokio::test]
async fn a_vote_is_queued_in_the_original_format() {
    let app = spawn_app().await;
    let response = app.post_vote("a", Some("abc123")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(cookie_voter(&response), None, "a known voter keeps its id");
    let body = response.text().await.unwrap();
    assert!(body.contains(r#"value="a" aria-pressed="true""#));

    let queued = app.queued().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["voter_id"], "abc123");
    assert_eq!(queued[0]["vote"], "a");
    assert!(queued[0]["ts"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn a_first_vote_gets_a_voter_id_and_uses_it() {
    let app = spawn_app().await;
    let response = app.post_vote("b", None).await;
    assert_eq!(response.status(), 200);
    let voter = cookie_voter(&response).expect("the cookie is set");
    assert_eq!(app.queued().await[0]["voter_id"], voter.as_str());
}

#[tokio::test]
async fn a_changed_vote_is_queued_after_the_first_with_a_later_time() {
    let app = spawn_app().await;
    app.post_vote("a", Some("beef")).await;
    app.post_vote("b", Some("beef")).await;
    let queued = app.queued().await;
    assert_eq!(queued.len(), 2);
    assert_eq!(
        (&queued[0]["vote"], &queued[1]["vote"]),
        (&"a".into(), &"b".into())
    );
    assert!(queued[1]["ts"].as_i64() > queued[0]["ts"].as_i64());
}

#[tokio::test]
async fn json_clients_get_the_vote_back() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(&app.address)
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("vote=b")
        .header("cookie", "voter_id=f00d")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"voter_id": "f00d", "vote": "b"}));
}

#[tokio::test]
async fn concurrent_votes_are_each_queued_exactly_once() {
    let app = spawn_app().await;
    let voters: Vec<String> = (0..400).map(|i| format!("{i:x}")).collect();
    let posts = voters.iter().enumerate().map(|(i, voter)| {
        let vote = if i % 3 == 0 { "a" } else { "b" };
        app.post_vote(vote, Some(voter))
    });
    for response in join_all(posts).await {
        assert_eq!(response.status(), 200);
    }
    let queued = app.queued_voters().await;
    assert_eq!(queued.len(), voters.len());
    let unique: HashSet<_> = queued.into_iter().collect();
    assert_eq!(unique, voters.into_iter().collect());
}

#[tokio::test]
async fn shutdown_writes_every_acknowledged_vote() {
    let mut app = spawn_app().await;
    let mut acknowledged = 0;
    let voters: Vec<String> = (0..200).map(|i| format!("{i:x}")).collect();
    let posts: Vec<_> = voters.iter().map(|v| app.post_vote("a", Some(v))).collect();
    for response in join_all(posts).await {
        if response.status() == 200 {
            acknowledged += 1;
        }
    }
    app.shut_down().await;
    assert_eq!(app.queued().await.len(), acknowledged);
    let refused = app.client.get(&app.address).send().await;
    assert!(refused.is_err(), "a stopped service accepts no requests");
}

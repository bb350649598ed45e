//! Without Redis the service says so at once and acknowledges nothing; it
//! recovers by itself when Redis is back.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

async fn health(app: &crate::helpers::TestApp) -> StatusCode {
    let url = format!("{}/healthz", app.address);
    app.client.get(url).send().await.unwrap().status()
}

#[tokio::test]
async fn votes_get_503_while_redis_is_down_and_flow_again_after() {
    let mut app = spawn_app().await;
    assert_eq!(
        app.post_vote("a", Some("01")).await.status(),
        StatusCode::OK
    );
    assert_eq!(health(&app).await, StatusCode::OK);

    app.redis.stop().await;
    // A push on the connection that just broke may have gone out; once the
    // service knows Redis is down, it says the vote was not recorded.
    testkit::eventually(
        "a refusal that says the vote was not recorded",
        testkit::DEFAULT_DEADLINE,
        || async {
            let refused = app.post_vote("b", Some("02")).await;
            assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(refused.headers()["retry-after"], "1");
            let body = refused.text().await.unwrap();
            assert!(body.contains("recorded"), "{body}");
            body.starts_with("the vote was not recorded").then_some(())
        },
    )
    .await;
    assert_eq!(health(&app).await, StatusCode::SERVICE_UNAVAILABLE);

    app.redis.start_again().await;
    testkit::eventually(
        "the vote service to reconnect",
        testkit::DEFAULT_DEADLINE,
        || async {
            (app.post_vote("a", Some("03")).await.status() == StatusCode::OK).then_some(())
        },
    )
    .await;
    assert_eq!(health(&app).await, StatusCode::OK);

    let voters = app.queued_voters().await;
    assert_eq!(voters.first().map(String::as_str), Some("01"));
    assert!(
        !voters.contains(&"02".to_owned()),
        "a refused vote was stored"
    );
    assert!(voters.contains(&"03".to_owned()));
}

/// Without an answer in time the push may still land: the service says so
/// instead of claiming the vote was lost.
#[tokio::test]
async fn a_vote_without_an_answer_in_time_may_or_may_not_be_recorded() {
    let app = spawn_app().await;
    let mut conn = app.redis.connection().await;
    // Redis holds every write for longer than the service waits.
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(10_000)
        .arg("WRITE")
        .query_async(&mut conn)
        .await
        .unwrap();
    let answer = app.post_vote("b", Some("0a")).await;
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = answer.text().await.unwrap();
    assert!(
        body.starts_with("the vote may or may not have been recorded")
            && body.contains("voting again is safe, the last vote wins"),
        "{body}"
    );
    let _: () = redis::cmd("CLIENT")
        .arg("UNPAUSE")
        .query_async(&mut conn)
        .await
        .unwrap();
}

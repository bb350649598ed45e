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
    let refused = app.post_vote("b", Some("02")).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert!(refused.text().await.unwrap().contains("not recorded"));
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

    let voters: Vec<String> = app
        .queued()
        .await
        .iter()
        .map(|m| m["voter_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(voters.first().map(String::as_str), Some("01"));
    assert!(
        !voters.contains(&"02".to_owned()),
        "a refused vote was stored"
    );
    assert!(voters.contains(&"03".to_owned()));
}

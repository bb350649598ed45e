//! `/metrics` after real traffic: it passes `promtool check metrics`, and
//! every series the dashboard and the alerts read is there.

use crate::helpers::spawn_app;

#[tokio::test]
async fn metrics_after_traffic_pass_promtool_and_have_every_series() {
    let app = spawn_app().await;
    let page = app.client.get(&app.address).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(app.post_vote("a", None).await.status(), 200);
    assert_eq!(app.post_vote("c", None).await.status(), 400);
    assert_eq!(app.post_form("", None).await.status(), 400);
    let text = metrics(&app).await;
    testkit::check_metrics(&text).await;
    testkit::assert_series(
        &text,
        &[
            r#"http_requests_total{method="GET",route="/",status="200"}"#,
            r#"http_requests_total{method="POST",route="/",status="200"}"#,
            r#"http_requests_total{method="POST",route="/",status="400"}"#,
            r#"http_request_duration_seconds_bucket{method="POST",route="/",le="0.005"}"#,
            r#"http_request_duration_seconds_count{method="GET",route="/"}"#,
            r#"vote_votes_queued_total{option="a"}"#,
            r#"vote_rejected_total{reason="unknown_option"}"#,
            r#"vote_rejected_total{reason="missing_vote"}"#,
            "vote_queue_write_seconds_bucket",
            "vote_queue_batch_size_bucket",
            "vote_redis_reconnects_total",
        ],
    );
}

#[tokio::test]
async fn a_redis_outage_counts_one_reconnect() {
    let mut app = spawn_app().await;
    assert_eq!(app.post_vote("a", None).await.status(), 200);
    assert_eq!(counter(&app, "vote_redis_reconnects_total").await, 0.0);
    app.redis.stop().await;
    assert_eq!(app.post_vote("a", None).await.status(), 503);
    app.redis.start_again().await;
    testkit::eventually(
        "a vote to be accepted again",
        testkit::DEFAULT_DEADLINE,
        || async { (app.post_vote("b", None).await.status() == 200).then_some(()) },
    )
    .await;
    assert_eq!(counter(&app, "vote_redis_reconnects_total").await, 1.0);
}

async fn metrics(app: &crate::helpers::TestApp) -> String {
    let response = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

async fn counter(app: &crate::helpers::TestApp, name: &str) -> f64 {
    let text = metrics(app).await;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

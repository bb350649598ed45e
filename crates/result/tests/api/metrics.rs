//! `/metrics` after real traffic: it passes `promtool check metrics`, every
//! series the dashboard and the alerts read is there, and a PostgreSQL
//! outage is counted as one reconnect.

use voting::tally::Tally;

use crate::helpers::spawn_app;

#[tokio::test]
async fn metrics_after_traffic_pass_promtool_and_have_every_series() {
    let app = spawn_app().await;
    app.vote("aaaa", "a").await;
    app.wait_for_results(Tally { a: 1, b: 0 }).await;
    let mut events = app.events().await;
    assert_eq!(events.next_tally().await, Tally { a: 1, b: 0 });
    assert_eq!(app.get("/").await.status(), 200);
    assert_eq!(app.get("/nothing-here").await.status(), 404);
    let text = app.get("/metrics").await.text().await.unwrap();
    testkit::check_metrics(&text).await;
    testkit::assert_series(
        &text,
        &[
            r#"http_requests_total{method="GET",route="/",status="200"}"#,
            r#"http_requests_total{method="GET",route="/api/results",status="200"}"#,
            r#"http_requests_total{route="unmatched",status="404"}"#,
            r#"http_request_duration_seconds_bucket{method="GET",route="/api/results",le="0.005"}"#,
            "result_sse_clients 1",
            "result_recounts_total",
            "result_recount_duration_seconds_bucket",
            "result_notifications_total",
            "result_tally_changes_total",
            "result_tally_refreshed_timestamp_seconds",
            "result_db_up 1",
            "result_db_errors_total 0",
            "result_db_reconnects_total 0",
        ],
    );
}

#[tokio::test]
async fn a_postgres_outage_counts_one_reconnect() {
    let mut app = spawn_app().await;
    assert_eq!(app.metric("result_db_reconnects_total").await, 0.0);
    app.postgres.stop().await;
    testkit::eventually(
        "/healthz to answer 503",
        testkit::DEFAULT_DEADLINE,
        || async { (app.health().await == 503).then_some(()) },
    )
    .await;
    app.postgres.start_again().await;
    app.wait_healthy().await;
    assert_eq!(app.metric("result_db_reconnects_total").await, 1.0);
}

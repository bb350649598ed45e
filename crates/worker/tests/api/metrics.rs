//! `/metrics` after real work: it passes `promtool check metrics`, every
//! series the dashboard and the alerts read is there, and outages of Redis
//! and PostgreSQL are counted as reconnects.

use std::time::Duration;

use crate::helpers::{Backends, InProcessWorker, vote};

#[tokio::test]
async fn metrics_after_work_pass_promtool_and_have_every_series() {
    let backends = Backends::start().await;
    let worker = backends.worker("w1", 100).await;
    let now = voting::queue::timestamp_micros();
    backends
        .push(&[
            vote("v1", "a", now),
            vote("v2", "b", now),
            vote("v1", "b", now + 1),
            "not a vote".to_owned(),
        ])
        .await;
    backends.wait_stored(2).await;
    assert_eq!(worker.health().await, 200);
    // The depths are sampled with the heartbeat, once a second.
    let text = testkit::eventually(
        "the queue depth to be sampled",
        Duration::from_secs(10),
        || async {
            let text = metrics(&worker).await;
            text.contains("worker_dead_letter_depth 1").then_some(text)
        },
    )
    .await;
    testkit::check_metrics(&text).await;
    testkit::assert_series(
        &text,
        &[
            r#"http_requests_total{method="GET",route="/healthz",status="200"}"#,
            r#"http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.005"}"#,
            "worker_votes_processed_total 2",
            "worker_votes_superseded_total 1",
            "worker_votes_dead_lettered_total 1",
            "worker_votes_recovered_total",
            "worker_queue_depth 0",
            "worker_dead_letter_depth 1",
            "worker_batch_size_bucket",
            "worker_batch_seconds_bucket",
            r#"worker_vote_lag_seconds_bucket{le="300"}"#,
            "worker_redis_errors_total",
            "worker_db_errors_total",
            "worker_redis_reconnects_total 0",
            "worker_db_reconnects_total 0",
        ],
    );
}

#[tokio::test]
async fn outages_of_redis_and_postgres_count_one_reconnect_each() {
    let mut backends = Backends::start().await;
    let worker = backends.worker("w1", 100).await;
    let now = voting::queue::timestamp_micros();
    backends.push(&[vote("v1", "a", now)]).await;
    backends.wait_stored(1).await;

    backends.postgres.stop().await;
    backends.push(&[vote("v2", "a", now)]).await;
    wait_counter(&worker, "worker_db_errors_total").await;
    backends.postgres.start_again().await;
    backends.wait_stored(2).await;
    assert_eq!(counter(&worker, "worker_db_reconnects_total").await, 1.0);

    backends.redis.stop().await;
    wait_counter(&worker, "worker_redis_errors_total").await;
    backends.redis.start_again().await;
    backends.push(&[vote("v3", "a", now)]).await;
    backends.wait_stored(3).await;
    assert_eq!(counter(&worker, "worker_redis_reconnects_total").await, 1.0);
    worker.stop().await.unwrap();
}

async fn metrics(worker: &InProcessWorker) -> String {
    let response = reqwest::get(format!("{}/metrics", worker.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

async fn counter(worker: &InProcessWorker, name: &str) -> f64 {
    let text = metrics(worker).await;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

/// Waits until the counter `name` is above zero.
async fn wait_counter(worker: &InProcessWorker, name: &str) {
    testkit::eventually(name, testkit::DEFAULT_DEADLINE, || async {
        (counter(worker, name).await > 0.0).then_some(())
    })
    .await;
}

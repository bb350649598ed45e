//! Redis and PostgreSQL restarts while votes flow: the worker reconnects with
//! backoff and every acknowledged vote is stored.

use reqwest::StatusCode;

use crate::helpers::{Backends, Load, assert_nothing_lost, wait_rows_at_least};

#[tokio::test]
async fn a_redis_restart_loses_no_acknowledged_vote() {
    let mut backends = Backends::start().await;
    let service = backends.vote_service().await;
    let worker = backends.worker("w1", 100).await;
    let load = Load::start(&service, 4).await;
    wait_rows_at_least(&backends, 200).await;
    backends.redis.restart().await;
    let before = backends.stored().await.len();
    wait_rows_at_least(&backends, before + 200).await;
    let acknowledged = load.finish().await;
    assert_nothing_lost(&backends, &acknowledged).await;
    worker.stop().await.unwrap();
}

#[tokio::test]
async fn a_postgres_restart_loses_no_acknowledged_vote() {
    let mut backends = Backends::start().await;
    let service = backends.vote_service().await;
    let worker = backends.worker("w1", 100).await;
    let load = Load::start(&service, 4).await;
    wait_rows_at_least(&backends, 200).await;
    backends.postgres.stop().await;
    assert_eq!(
        worker.health().await,
        StatusCode::SERVICE_UNAVAILABLE.as_u16()
    );
    backends.postgres.start_again().await;
    let before = backends.stored().await.len();
    wait_rows_at_least(&backends, before + 200).await;
    assert_eq!(worker.health().await, StatusCode::OK.as_u16());
    let acknowledged = load.finish().await;
    assert_nothing_lost(&backends, &acknowledged).await;
    worker.stop().await.unwrap();
}

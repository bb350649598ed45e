//! `/healthz`: the worker is healthy when it can reach Redis and PostgreSQL.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use voting::http::{Check, health_response};

use crate::queue::ReliableQueue;
use crate::store::SharedClient;

/// How long each dependency may take to answer a health probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Clone)]
struct Deps {
    queue: ReliableQueue,
    postgres: SharedClient,
}

pub(crate) fn router(queue: ReliableQueue, postgres: SharedClient) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(Deps { queue, postgres })
}

async fn healthz(State(deps): State<Deps>) -> Response {
    let redis = within(deps.queue.ping()).await;
    let client = deps
        .postgres
        .lock()
        .expect("the shared client lock is never poisoned")
        .clone();
    let postgres = match client {
        Some(client) => {
            within(async move { client.simple_query("SELECT 1").await.map(drop) }).await
        }
        None => Err("not connected".to_owned()),
    };
    health_response(vec![
        Check::from_result("redis", redis),
        Check::from_result("postgres", postgres),
    ])
}

async fn within<E: std::fmt::Display>(
    probe: impl Future<Output = Result<(), E>>,
) -> Result<(), String> {
    match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
        Ok(outcome) => outcome.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {PROBE_TIMEOUT:?}")),
    }
}

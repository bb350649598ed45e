//! HTTP pieces every service shares: serving with graceful shutdown,
//! `/healthz`, `/metrics` and request metrics.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Serves `router` until `shutdown` is cancelled, then lets requests in
/// flight finish before returning.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, observe(router))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

/// Adds `/metrics` and request metrics to a router. [`serve`] does it
/// itself; a service that runs its own accept loop calls it directly. It
/// installs the recorder now, so nothing counted before the first scrape is
/// lost.
pub fn observe(router: Router) -> Router {
    crate::telemetry::metrics();
    router
        .route("/metrics", get(render_metrics))
        .layer(middleware::from_fn(track_requests))
}

async fn render_metrics() -> String {
    crate::telemetry::metrics().render()
}

/// Counts requests and their latency per route and status.
async fn track_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    record_request(method, route, response.status(), started);
    response
}

/// Counts one request in the same metrics as [`observe`], for requests a
/// service answers outside its router.
pub fn record_request(method: String, route: String, status: StatusCode, started: Instant) {
    let status = status.as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
}

/// The state of one dependency, as `/healthz` reports it.
#[derive(Debug, Serialize)]
pub struct Check {
    /// The dependency's name (`redis`, `postgres`).
    pub name: &'static str,
    /// `None` when it answered, otherwise why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Check {
    /// Turns the outcome of a probe into a check.
    pub fn from_result<E: std::fmt::Display>(name: &'static str, result: Result<(), E>) -> Check {
        Check {
            name,
            error: result.err().map(|e| e.to_string()),
        }
    }
}

/// `200 {"status":"ok",…}` when every check passed, `503` otherwise; the body
/// lists each dependency and its error.
pub fn health_response(checks: Vec<Check>) -> Response {
    #[derive(Serialize)]
    struct Body {
        status: &'static str,
        checks: Vec<Check>,
    }
    let healthy = checks.iter().all(|c| c.error.is_none());
    let (code, status) = if healthy {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    (code, axum::Json(Body { status, checks })).into_response()
}

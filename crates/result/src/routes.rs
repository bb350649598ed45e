//! The HTTP surface: the page, the JSON API, the event stream and
//! `/healthz`. Every handler reads the feed's last known tally; none of
//! them queries the database.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::Markup;
use voting::ballot::Options;
use voting::http::{Check, health_response};

use crate::events::Streams;
use crate::feed::Feed;
use crate::page;

/// What every handler shares; cheap to clone per request.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    feed: Feed,
    options: Arc<Options>,
    streams: Streams,
}

impl AppState {
    /// Bundles the feed with the labels and the event streams.
    pub(crate) fn new(feed: Feed, options: Options, streams: Streams) -> AppState {
        AppState {
            feed,
            options: Arc::new(options),
            streams,
        }
    }
}

/// The service's routes; `/metrics` is added by [`voting::http::observe`].
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/results", get(results))
        .route("/events", get(event_stream))
        .route("/healthz", get(healthz))
        .with_state(state)
}

#[tracing::instrument(level = "debug", skip_all)]
async fn index(State(state): State<AppState>) -> Markup {
    page::render(&state.options, state.feed.current().as_ref())
}

/// `{"a": <count>, "b": <count>}`, the last known counts; 503 until the
/// database has been counted once.
#[tracing::instrument(level = "debug", skip_all)]
async fn results(State(state): State<AppState>) -> Response {
    let Some(snapshot) = state.feed.current() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "no counts yet: the database has not been reached\n",
        )
            .into_response();
    };
    let mut response = snapshot.json().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[tracing::instrument(level = "debug", skip_all)]
async fn event_stream(State(state): State<AppState>) -> Response {
    state.streams.response()
}

/// 200 while the feed holds a working database connection, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    health_response(vec![Check::from_result("postgres", state.feed.db_health())])
}

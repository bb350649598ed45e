//! The vote service's HTTP surface: the page, casting a vote, and `/healthz`.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, Form};
use axum::http::header::{ACCEPT, CONTENT_TYPE, COOKIE, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use voting::ballot::{Choice, VoterId, VoterIdError};
use voting::http::{Check, health_response};
use voting::queue::{QueuedVote, timestamp_micros};

use crate::config::Config;
use crate::lean::LeanMetrics;
use crate::page::Pages;
use crate::queue::{QueueError, VoteQueue};

/// The largest request body accepted. The form is `vote=a`; anything much
/// larger is not a vote.
pub(crate) const MAX_FORM_BYTES: usize = 1024;

/// How long the browser keeps the voter id: a year, so a voter stays one voter.
const COOKIE_MAX_AGE_SECS: u32 = 365 * 24 * 3600;

/// What every request needs, built once at start.
pub(crate) struct State {
    pages: Pages,
    queue: VoteQueue,
    lean_metrics: LeanMetrics,
}

impl State {
    pub(crate) fn new(config: Config, queue: VoteQueue) -> Arc<State> {
        Arc::new(State {
            pages: Pages::render(&config.options, &config.hostname),
            queue,
            lean_metrics: LeanMetrics::new(),
        })
    }

    /// The rendered ballot pages.
    pub(crate) fn pages(&self) -> &Pages {
        &self.pages
    }

    /// The vote queue.
    pub(crate) fn queue(&self) -> &VoteQueue {
        &self.queue
    }

    /// The lean path's metric handles.
    pub(crate) fn lean_metrics(&self) -> &LeanMetrics {
        &self.lean_metrics
    }
}

/// The JSON answer to a vote: `{"voter_id":…,"vote":…}`.
pub(crate) fn vote_json(voter: &VoterId, choice: Choice) -> String {
    format!(r#"{{"voter_id":"{voter}","vote":"{choice}"}}"#)
}

/// The `Set-Cookie` value that hands a new voter their id.
pub(crate) fn voter_cookie_value(voter: &VoterId) -> String {
    format!("voter_id={voter}; Path=/; Max-Age={COOKIE_MAX_AGE_SECS}; SameSite=Lax; HttpOnly")
}

/// The body of the 503 for a vote the queue did not take.
pub(crate) fn queue_refusal(error: &QueueError) -> String {
    format!("{}\n", queue_refusal_text(error))
}

/// What is known about a vote that was not acknowledged, said exactly.
fn queue_refusal_text(error: &QueueError) -> String {
    if error.may_have_landed() {
        format!(
            "the vote may or may not have been recorded ({error}); voting again is safe, the last vote wins"
        )
    } else {
        format!("the vote was not recorded ({error}); try again")
    }
}

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/", get(show).post(cast))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .with_state(state)
}

/// The form the page posts.
#[derive(Debug, Deserialize)]
struct VoteForm {
    vote: Option<String>,
}

/// Why a vote was refused; each becomes a status and a one-line message.
#[derive(Debug, thiserror::Error)]
enum VoteError {
    #[error("{0}")]
    Form(#[from] FormRejection),
    #[error("the form field `vote` is missing")]
    MissingVote,
    #[error("unknown option {0:?}: vote must be \"a\" or \"b\"")]
    UnknownOption(String),
    #[error("{}", queue_refusal_text(.0))]
    Queue(#[from] QueueError),
}

impl VoteError {
    fn reason(&self) -> &'static str {
        match self {
            VoteError::Form(_) => "form",
            VoteError::MissingVote => "missing_vote",
            VoteError::UnknownOption(_) => "unknown_option",
            VoteError::Queue(_) => "queue",
        }
    }
}

impl IntoResponse for VoteError {
    fn into_response(self) -> Response {
        metrics::counter!("vote_rejected_total", "reason" => self.reason()).increment(1);
        let status = match &self {
            VoteError::Form(rejection) => match rejection {
                FormRejection::InvalidFormContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                FormRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            },
            VoteError::Queue(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        let message = match &self {
            VoteError::Form(FormRejection::InvalidFormContentType(_)) => {
                "expected a form (Content-Type: application/x-www-form-urlencoded)".to_owned()
            }
            VoteError::Form(FormRejection::BytesRejection(_)) => {
                format!("the request body is larger than {MAX_FORM_BYTES} bytes")
            }
            other => other.to_string(),
        };
        let mut response = (status, format!("{message}\n")).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// `GET /`: the ballot. A missing or unusable cookie gets a fresh voter id.
async fn show(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    headers: HeaderMap,
) -> Response {
    let new_voter = match voter_cookie(&headers) {
        Some(Ok(_)) => None,
        _ => Some(VoterId::random()),
    };
    respond(&state, &headers, None, new_voter.as_ref())
}

/// `POST /`: queues the vote and answers once Redis has it.
#[tracing::instrument(skip_all, fields(vote))]
async fn cast(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    headers: HeaderMap,
    form: Result<Form<VoteForm>, FormRejection>,
) -> Result<Response, VoteError> {
    // A cookie that is not a usable id counts as none (the original app
    // took any cookie): the vote gets a fresh id, set in the answer.
    let (voter, is_new) = match voter_cookie(&headers) {
        Some(Ok(voter)) => (voter, false),
        _ => (VoterId::random(), true),
    };
    let Form(form) = form?;
    let vote = form.vote.ok_or(VoteError::MissingVote)?;
    let choice = Choice::parse(&vote).ok_or(VoteError::UnknownOption(vote))?;
    tracing::Span::current().record("vote", choice.as_str());
    let message = QueuedVote::encode(voter.as_str(), choice, timestamp_micros());
    state.queue.push(message).await?;
    metrics::counter!("vote_votes_queued_total", "option" => choice.as_str()).increment(1);
    Ok(respond(
        &state,
        &headers,
        Some((choice, &voter)),
        is_new.then_some(&voter),
    ))
}

/// `GET /healthz`: healthy when Redis answers.
async fn healthz(axum::extract::State(state): axum::extract::State<Arc<State>>) -> Response {
    health_response(vec![Check::from_result("redis", state.queue.ping().await)])
}

/// The voter id from the `voter_id` cookie, if there is one.
fn voter_cookie(headers: &HeaderMap) -> Option<Result<VoterId, VoterIdError>> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .flatten()
        .find(|c| c.name() == "voter_id")
        .map(|c| VoterId::parse(c.value_trimmed()))
}

/// The page (or, for clients that ask for JSON, the vote as JSON), with a
/// cookie for a voter seen for the first time.
fn respond(
    state: &State,
    headers: &HeaderMap,
    cast: Option<(Choice, &VoterId)>,
    new_voter: Option<&VoterId>,
) -> Response {
    let wants_json = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"));
    let mut response = match cast {
        Some((choice, voter)) if wants_json => (
            [(CONTENT_TYPE, "application/json")],
            vote_json(voter, choice),
        )
            .into_response(),
        _ => state
            .pages
            .get(cast.map(|(choice, _)| choice))
            .into_response(),
    };
    if let Some(voter) = new_voter {
        if let Ok(value) = HeaderValue::from_str(&voter_cookie_value(voter)) {
            response.headers_mut().insert(SET_COOKIE, value);
        }
    }
    response
}

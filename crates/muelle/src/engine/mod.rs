//! Small functions over the Docker Engine API (bollard), one per call muelle
//! makes, so commands read as what they do and errors say what was attempted.

pub mod containers;
pub mod images;
pub mod networks;
pub mod volumes;

use std::collections::HashMap;

use bollard::Docker;
use bollard::errors::Error as BollardError;

use crate::error::{Error, Result};

/// Connects the way the docker CLI does (`DOCKER_HOST`, else the local
/// socket) and agrees on an API version, so engines older than bollard's
/// default (20.10 speaks 1.41) work.
pub async fn connect() -> Result<Docker> {
    let host =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_owned());
    let unavailable = |reason: String| Error::DockerUnavailable {
        host: host.clone(),
        reason,
    };
    let docker = Docker::connect_with_defaults().map_err(|e| unavailable(message(&e)))?;
    docker
        .negotiate_version()
        .await
        .map_err(|e| unavailable(message(&e)))
}

/// The daemon's own words for an error, without bollard's wrapping.
pub fn message(error: &BollardError) -> String {
    match error {
        BollardError::DockerResponseServerError { message, .. } => message.trim().to_owned(),
        BollardError::DockerStreamError { error } => error.trim().to_owned(),
        other => {
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(cause) = source {
                text = format!("{text}: {cause}");
                source = cause.source();
            }
            text
        }
    }
}

/// Whether the daemon answered 404 (no such object).
pub fn is_not_found(error: &BollardError) -> bool {
    matches!(
        error,
        BollardError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// Turns a bollard error into muelle's, saying what was being attempted.
pub fn failed(action: impl Into<String>) -> impl FnOnce(BollardError) -> Error {
    let action = action.into();
    move |e| Error::Docker {
        action,
        message: message(&e),
    }
}

/// A label filter for list calls: every `key=value` (or bare `key`) must match.
pub fn label_filter(labels: &[String]) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_owned(), labels.to_vec())])
}

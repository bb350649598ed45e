//! Docker Engine access: connecting to an endpoint (local socket, `tcp://`
//! with TLS, `ssh://`, contexts, `DOCKER_HOST`), then small functions over
//! the Engine API (bollard), one per call muelle makes, so commands read as
//! what they do and errors say what was attempted.

pub mod containers;
pub mod endpoint;
pub mod images;
pub mod networks;
pub mod ssh;
pub mod volumes;

use std::collections::HashMap;

use bollard::errors::Error as BollardError;

pub use crate::error::engine::{Error, words};
pub use endpoint::{Endpoint, connect};

/// Shorthand for results of Engine calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

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
    move |source| Error::Api { action, source }
}

/// A label filter for list calls: every `key=value` (or bare `key`) must match.
pub fn label_filter(labels: &[String]) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_owned(), labels.to_vec())])
}

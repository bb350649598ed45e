//! Deploying the stack to an environment: which environment and engine
//! (`target`), the images pinned by digest (`images`), the history of what
//! went out (`history`), and how a rollout ends (`report`).

pub mod history;
pub mod images;
pub mod report;
pub mod target;

pub use crate::error::deploy::Error;

/// Service label: the tag deployed (`0123456`, `20261201-2`), so `status`
/// can say which version runs.
pub const VERSION_LABEL: &str = "muelle.version";
/// Service label: the full commit the deployed image was built from.
pub const COMMIT_LABEL: &str = "muelle.commit";

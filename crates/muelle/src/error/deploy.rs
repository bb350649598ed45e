//! What can go wrong choosing an environment, pinning its images, keeping
//! its deploy history and deploying to it, each kind with what its
//! one-line message needs.

use std::path::PathBuf;

/// A deploy, update or rollback muelle cannot do as asked, or that failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--env lab` with no lab on the host engine.
    #[error("no lab{} is running: start one with `muelle lab up`", named(.name))]
    NoLab {
        /// The lab's name when it is not the default (`MUELLE_LAB`).
        name: Option<String>,
    },
    /// The engine of an environment does not answer.
    #[error("cannot reach the Docker engine of environment {environment} at {endpoint}: {reason}")]
    Unreachable {
        /// The environment.
        environment: String,
        /// The endpoint tried.
        endpoint: String,
        /// Why, in the engine's or the system's words.
        reason: String,
    },
    /// A stack file the manifest names is not there.
    #[error(
        "no stack file {}: write it, or name the stack files in muelle.toml's [stack] files",
        .path.display()
    )]
    NoStackFile {
        /// The missing file.
        path: PathBuf,
    },
    /// A stack file muelle cannot read as YAML, before the stack reader's checks.
    #[error("{}: {problem}", .path.display())]
    StackFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The stack has no service muelle builds, so there is nothing to pin.
    #[error(
        "the stack ({files}) has none of the manifest's [services] ({services}): muelle deploys the images it pushes"
    )]
    NoAppServices {
        /// The stack files.
        files: String,
        /// The manifest's services.
        services: String,
    },
    /// An app service's `image:` names no single variable muelle can set.
    #[error(
        "{}: services.{service}.image is {image:?}: write `image: ${{{suggested}}}` so muelle can pin the pushed digest",
        .path.display()
    )]
    ImageNotVariable {
        /// The stack file.
        path: PathBuf,
        /// The service.
        service: String,
        /// Its `image:` as written.
        image: String,
        /// The variable to use.
        suggested: String,
    },
    /// `--stack` names a stack the manifest does not declare.
    #[error("unknown stack `{name}`: {}", known_stacks(.known))]
    UnknownStack {
        /// What the user typed.
        name: String,
        /// The manifest's `[stacks]`.
        known: Vec<String>,
    },
    /// A service on the command line is not in the stack.
    #[error("unknown service `{name}`: the stack has {}", .known.join(", "))]
    UnknownService {
        /// What the user typed.
        name: String,
        /// The stack's services.
        known: Vec<String>,
    },
    /// The tag to deploy is not in the environment's registry.
    #[error(
        "{service}: tag {tag} is not in {repository}: push it first (`muelle push --env {environment}`)"
    )]
    MissingTag {
        /// The service.
        service: String,
        /// The tag asked for.
        tag: String,
        /// `registry/repository`.
        repository: String,
        /// The environment.
        environment: String,
    },
    /// `--digest` is not a digest.
    #[error("--digest {given:?}: give sha256: and 64 hex digits, as `muelle push` prints")]
    BadDigest {
        /// What the user typed.
        given: String,
    },
    /// Rollback with nothing before the deployed version.
    #[error(
        "no earlier version of {service} in the deploy history of {environment} ({}): nothing to roll back to",
        .path.display()
    )]
    NoEarlierVersion {
        /// The service.
        service: String,
        /// The environment.
        environment: String,
        /// The history file.
        path: PathBuf,
    },
    /// `rollback --to` names nothing in the history.
    #[error(
        "--to {version}: no deploy of {service} in the history of {environment} has that id, tag or digest (see {})",
        .path.display()
    )]
    UnknownVersion {
        /// What the user typed.
        version: String,
        /// The service.
        service: String,
        /// The environment.
        environment: String,
        /// The history file.
        path: PathBuf,
    },
    /// A line of the deploy history is not an entry.
    #[error("{}: line {line}: {source}", .path.display())]
    History {
        /// The history file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// Why it does not parse.
        source: serde_json::Error,
    },
    /// The truth check found the deploy did not reach what was asked.
    #[error("{command} of {stack} on {environment} FAILED: {summary}")]
    Failed {
        /// `deploy`, `update` or `rollback`.
        command: &'static str,
        /// The stack.
        stack: String,
        /// The environment.
        environment: String,
        /// Which service, what Swarm said, what serves now.
        summary: String,
    },
}

/// `` `name` `` for a lab that is not the default one.
fn named(name: &Option<String>) -> String {
    name.as_ref().map(|n| format!(" `{n}`")).unwrap_or_default()
}

impl Error {
    /// Whether this is the user's input or configuration rather than a failure.
    pub fn is_configuration(&self) -> bool {
        !matches!(
            self,
            Error::Unreachable { .. } | Error::History { .. } | Error::Failed { .. }
        )
    }
}

/// The stacks `--stack` can name, or how to declare one.
fn known_stacks(known: &[String]) -> String {
    if known.is_empty() {
        "muelle.toml declares no [stacks.<name>] besides the app's [stack]".into()
    } else {
        format!("choose {} (muelle.toml's [stacks])", known.join(", "))
    }
}

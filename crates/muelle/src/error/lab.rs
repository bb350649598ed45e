//! What can go wrong with `muelle lab`: a name it cannot use, a lab that is
//! not there or was made differently, and parts that do not come up.

use std::path::PathBuf;

/// A failure to make, find or use a lab.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The lab's name cannot name containers and host names.
    #[error(
        "cannot use `{name}` as a lab name: use 1 to 40 lowercase letters, digits and dashes, starting with a letter"
    )]
    BadName {
        /// The name given.
        name: String,
    },
    /// No container of the lab exists.
    #[error("no lab `{name}` on this Docker engine: start one with `muelle lab up`")]
    NotFound {
        /// The lab's name.
        name: String,
    },
    /// The lab exists but a part `find` needs is missing or stopped.
    #[error("lab `{name}` is incomplete ({missing}): run `muelle lab up` to complete it")]
    Incomplete {
        /// The lab's name.
        name: String,
        /// What is missing, e.g. `no registry container`.
        missing: String,
    },
    /// `lab up` with settings the existing lab was not made with.
    #[error(
        "lab `{name}` was made with {existing}, not {asked}: run `muelle lab down` first to make it anew"
    )]
    Differs {
        /// The lab's name.
        name: String,
        /// What it has, e.g. `3 nodes`.
        existing: String,
        /// What was asked, e.g. `2 nodes`.
        asked: String,
    },
    /// A container of the lab stopped or never became healthy.
    #[error("{container} did not come up: {why}; `docker logs {container}` says more")]
    NotUp {
        /// The container.
        container: String,
        /// What its state or health check said.
        why: String,
    },
    /// The swarm did not reach the wanted number of ready nodes.
    #[error(
        "the swarm of lab `{name}` has {ready} of {wanted} nodes ready after {waited_secs} s ({detail})"
    )]
    NodesNotReady {
        /// The lab's name.
        name: String,
        /// Ready nodes.
        ready: usize,
        /// Nodes the lab has.
        wanted: usize,
        /// How long muelle waited.
        waited_secs: u64,
        /// The state of each node that is not ready.
        detail: String,
    },
    /// The manager's engine has no join token to give the workers.
    #[error("the swarm manager of lab `{name}` gave no worker join token")]
    NoJoinToken {
        /// The lab's name.
        name: String,
    },
    /// Pebble's management API did not give its root certificate.
    #[error("cannot fetch pebble's issuing root from {url}: {reason}")]
    PebbleRoot {
        /// The URL asked.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// Neither `MUELLE_LAB_STATE`, `XDG_STATE_HOME` nor `HOME` is set.
    #[error(
        "cannot choose a state directory for the lab: set MUELLE_LAB_STATE, XDG_STATE_HOME or HOME"
    )]
    NoStateDir,
    /// The state directory recorded on the lab is not where muelle can write.
    #[error("cannot use {} as the lab's state directory: {source}", .path.display())]
    StateDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// Whether the user asked for something muelle cannot do (exit code 2).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::BadName { .. } | Error::Differs { .. } | Error::NoStateDir
        )
    }
}

//! What can be wrong with a stack: a stack file that cannot be read, that
//! `docker stack deploy` would not accept, or that Swarm would reject once
//! deployed. Every kind is the user's input, so every kind exits with the
//! usage code.

use std::path::PathBuf;

/// A stack muelle cannot deploy as written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No stack file was given.
    #[error("no stack file given: name one in [stack] files of muelle.toml")]
    NoFiles,
    /// A stack file cannot be read.
    #[error("cannot read the stack file {}: {source}", .path.display())]
    Read {
        /// The stack file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A key of a stack file has a value muelle or Swarm cannot use.
    #[error("{}{}: {problem}", .file.display(), .line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        /// The stack file that holds the key.
        file: PathBuf,
        /// The key's line in it, when it could be found.
        line: Option<usize>,
        /// The key path and what is wrong with it, e.g.
        /// `services.vote.deploy.replicas: not a number`.
        problem: String,
    },
    /// A stack name Docker cannot use as the prefix of object names.
    #[error("stack name {name:?}: {problem}")]
    BadNamespace {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

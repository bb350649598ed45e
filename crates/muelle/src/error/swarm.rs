//! What can go wrong while deploying to a Swarm: names the stack does not
//! have, objects Swarm will not take, a deploy racing another one. A rollout
//! that Swarm rolled back is not an error here: it is a FAILED line of the
//! deploy report, so that the report can still say what is serving.

use crate::engine;

/// A deploy, update or lock that could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An Engine API call failed.
    #[error(transparent)]
    Engine(#[from] engine::Error),
    /// A service named on the command line is not in the stack.
    #[error("the stack {stack} has no service `{service}`; it has: {}", .known.join(", "))]
    UnknownService {
        /// The stack.
        stack: String,
        /// The name asked for.
        service: String,
        /// The stack's services.
        known: Vec<String>,
    },
    /// `update`/`rollback` of a service Swarm does not run.
    #[error("Swarm runs no service {service}: deploy the stack first (`muelle deploy`)")]
    NoSuchService {
        /// The full service name, e.g. `voting_vote`.
        service: String,
    },
    /// `update`/`rollback` of a service muelle did not deploy: its health
    /// check cannot be read back, so writing its spec would drop it.
    #[error(
        "{service} was last deployed by something other than muelle, whose health check muelle cannot read back (bollard drops it); deploy the stack with `muelle deploy` first"
    )]
    NotWrittenByMuelle {
        /// The full service name.
        service: String,
    },
    /// A service refers to a secret or config that is neither in the stack
    /// nor in the swarm.
    #[error(
        "service {service} uses {kind} {name}, which is neither in the stack nor in the swarm: create it (`docker {kind} create {name} FILE`) or declare it in the stack file"
    )]
    MissingReference {
        /// The full service name.
        service: String,
        /// `secret` or `config`.
        kind: &'static str,
        /// The secret's or config's name.
        name: String,
    },
    /// A config of the same name exists with other content; configs (and
    /// secrets) cannot change in Swarm.
    #[error(
        "config {name} already exists in the swarm with other content; Swarm configs cannot change, so name it by its content hash (`name: {name}_${{…_HASH}}`)"
    )]
    ConfigChanged {
        /// The config's name.
        name: String,
    },
    /// The service's spec changed between muelle's inspect and its update.
    #[error(
        "another deploy changed {service} meanwhile (Swarm refused an update based on spec version {version}); nothing of this deploy was applied to {service}: run it again to apply on top of theirs"
    )]
    Conflict {
        /// The full service name.
        service: String,
        /// The version muelle's update was based on.
        version: u64,
    },
    /// Another deploy of the stack holds its lock.
    #[error(
        "a deploy of {stack} is already running ({holder}, since {since}, `{command}`); wait for it, or remove a stale lock with `docker config rm {lock}`"
    )]
    Locked {
        /// The stack.
        stack: String,
        /// Who holds the lock (`user@host pid N`).
        holder: String,
        /// When it was taken (RFC 3339).
        since: String,
        /// The command that took it.
        command: String,
        /// The lock's config name.
        lock: String,
    },
}

impl Error {
    /// Whether the input (a name on the command line, the stack file) is
    /// wrong, as opposed to the swarm failing or being busy.
    pub fn is_usage(&self) -> bool {
        match self {
            Error::UnknownService { .. }
            | Error::NoSuchService { .. }
            | Error::NotWrittenByMuelle { .. }
            | Error::MissingReference { .. }
            | Error::ConfigChanged { .. } => true,
            Error::Engine(e) => e.is_configuration(),
            Error::Conflict { .. } | Error::Locked { .. } => false,
        }
    }
}

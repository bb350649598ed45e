//! The errors muelle reports, one file per area (project, engine, image,
//! registry, release, local, stack, swarm, lab, deploy) with the data each message needs, plus what
//! the commands refuse; one line each, mapped to an exit code the way just
//! does it. Every area re-exports its own as `<area>::Error`; nothing here
//! depends on the areas' code, so errors sit below everything that fails.

pub mod deploy;
pub mod engine;
pub mod image;
pub mod lab;
pub mod local;
pub mod project;
pub mod registry;
pub mod release;
pub mod stack;
pub mod swarm;

/// Exit code for a failure while doing the work.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code for input muelle cannot use: flags, targets, manifest, compose
/// file, credentials and Docker configuration.
pub const EXIT_USAGE: i32 = 2;

/// Everything muelle can fail at. Messages are single lines meant for people.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifest, the compose file or a name on the command line.
    #[error(transparent)]
    Project(#[from] project::Error),
    /// Finding, reaching or using the Docker Engine.
    #[error(transparent)]
    Engine(#[from] engine::Error),
    /// Pulling or building an image.
    #[error(transparent)]
    Image(#[from] image::Error),
    /// A registry or the credentials for it.
    #[error(transparent)]
    Registry(#[from] registry::Error),
    /// git or the release log.
    #[error(transparent)]
    Release(#[from] release::Error),
    /// The local environment.
    #[error(transparent)]
    Local(#[from] local::Error),
    /// A stack file muelle cannot deploy as written.
    #[error(transparent)]
    Stack(#[from] stack::Error),
    /// Deploying to a Swarm. A deploy refused because another one holds the
    /// stack's lock exits 1, not 2: nothing was wrong with the input, and
    /// the same command succeeds once the other deploy is done.
    #[error(transparent)]
    Swarm(#[from] swarm::Error),
    /// The lab: a multi-node Swarm on this machine.
    #[error(transparent)]
    Lab(#[from] lab::Error),
    /// Environments, their images, the deploy history and deploys.
    #[error(transparent)]
    Deploy(#[from] deploy::Error),
    /// The user declined, or muelle would have had to ask with no one to answer.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A local file operation failed.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being attempted.
        action: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// What a command will not do as asked.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// `build` or `push` with a manifest that builds nothing.
    #[error("the manifest has no [services], so muelle builds no images")]
    NoServices,
    /// `reset` with a manifest that says nothing of what to delete.
    #[error("the manifest has no [[reset]] commands, so there is nothing muelle knows to delete")]
    NothingToReset,
    /// A destructive command with no terminal to confirm on.
    #[error("muelle {command} {deletes} and there is no terminal to confirm on: pass --yes")]
    NoTerminal {
        /// The subcommand.
        command: &'static str,
        /// What it would delete.
        deletes: &'static str,
    },
    /// A prod push from a work tree with uncommitted changes.
    #[error(
        "the work tree has uncommitted changes ({first}{}): commit them, or pass --allow-dirty to push to {environment} anyway",
        more(.count)
    )]
    DirtyTree {
        /// The first changed path.
        first: String,
        /// How many paths changed.
        count: usize,
        /// The environment pushed to.
        environment: String,
    },
    /// `logs` with nothing to show.
    #[error(
        "no containers for {} in project {project}: start them with `muelle up`",
        .service.as_deref().unwrap_or("any service")
    )]
    NoContainers {
        /// The service asked for, if one was.
        service: Option<String>,
        /// The project.
        project: String,
    },
    /// The user answered no.
    #[error("{command} cancelled; nothing was deleted")]
    Cancelled {
        /// The subcommand.
        command: &'static str,
    },
}

/// ` and N more` for a count of paths beyond the first.
fn more(count: &usize) -> String {
    if *count > 1 {
        format!(" and {} more", count - 1)
    } else {
        String::new()
    }
}

impl Error {
    /// The process exit code for this error.
    pub fn code(&self) -> i32 {
        match self {
            Error::Project(_) | Error::Stack(_) | Error::Refused(_) => EXIT_USAGE,
            Error::Engine(e) if e.is_configuration() => EXIT_USAGE,
            Error::Registry(e) if e.is_configuration() => EXIT_USAGE,
            Error::Swarm(e) if e.is_usage() => EXIT_USAGE,
            Error::Lab(e) if e.is_usage() => EXIT_USAGE,
            Error::Deploy(e) if e.is_configuration() => EXIT_USAGE,
            _ => EXIT_FAILURE,
        }
    }

    /// Wraps an I/O error with what was being attempted.
    pub fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let action = action.into();
        move |source| Error::Io { action, source }
    }
}

/// Shorthand for results in muelle.
pub type Result<T, E = Error> = std::result::Result<T, E>;

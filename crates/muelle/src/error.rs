//! The errors muelle reports: one line each, saying what went wrong and what
//! to do, mapped to an exit code the way just does it.

use std::path::PathBuf;

/// Exit code for a failure while doing the work.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code for input muelle cannot use: flags, targets, manifest, compose file.
pub const EXIT_USAGE: i32 = 2;

/// Everything muelle can fail at. Messages are single lines meant for people.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No manifest was found by walking up from the working directory.
    #[error(
        "no muelle.toml in {start} or any parent directory: run muelle inside a project or pass --manifest"
    )]
    ManifestNotFound {
        /// Where the search started.
        start: PathBuf,
    },
    /// The manifest could not be read or does not describe a valid project.
    #[error("{path}: {message}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
    /// The compose file could not be read or uses something muelle does not understand.
    #[error("{path}: {message}")]
    Compose {
        /// The compose file.
        path: PathBuf,
        /// What is wrong, naming the service or key.
        message: String,
    },
    /// A target on the command line is neither a service nor a group.
    #[error("unknown target `{name}`: choose one of {known}")]
    UnknownTarget {
        /// What the user typed.
        name: String,
        /// The services and groups that exist, comma separated.
        known: String,
    },
    /// The Docker daemon could not be reached at all.
    #[error("cannot reach Docker at {host}: {reason}; start the Docker daemon or set DOCKER_HOST")]
    DockerUnavailable {
        /// The address tried.
        host: String,
        /// Why the connection failed.
        reason: String,
    },
    /// A Docker API call failed.
    #[error("cannot {action}: {message}")]
    Docker {
        /// What muelle was doing, e.g. `create container voting-db-1`.
        action: String,
        /// The daemon's message.
        message: String,
    },
    /// A host port to publish is taken by something else.
    #[error("port {port} for {service} is already in use: stop what listens there, or {hint}")]
    PortInUse {
        /// The host port.
        port: u16,
        /// The service that wanted it.
        service: String,
        /// How to publish it elsewhere.
        hint: String,
    },
    /// An image is neither present nor obtainable.
    #[error("image {image} is not here and cannot be pulled ({reason}): {hint}")]
    ImageUnavailable {
        /// The image reference.
        image: String,
        /// The registry's or daemon's answer.
        reason: String,
        /// What to do about it.
        hint: String,
    },
    /// Building something (a binary, an image, a base image) failed.
    #[error("cannot build {what}: {message}")]
    Build {
        /// What was being built.
        what: String,
        /// The builder's last words.
        message: String,
    },
    /// A service did not become healthy in time or stopped.
    #[error("{service} is not healthy: {detail}; see `muelle logs {service}`")]
    Unhealthy {
        /// The service.
        service: String,
        /// The last health-check output or exit status.
        detail: String,
    },
    /// A command inside a container failed.
    #[error("`{command}` in {service} failed: {output}")]
    Exec {
        /// The service it ran in.
        service: String,
        /// The command line.
        command: String,
        /// What it printed.
        output: String,
    },
    /// A service on the command line is not one muelle builds.
    #[error("unknown service `{name}`: muelle builds {known}")]
    UnknownService {
        /// What the user typed.
        name: String,
        /// The services of the manifest, comma separated.
        known: String,
    },
    /// `--env` names an environment the manifest does not declare.
    #[error("unknown environment `{name}`: the manifest declares {known}")]
    UnknownEnvironment {
        /// What the user typed.
        name: String,
        /// The environments of the manifest, comma separated, or `none`.
        known: String,
    },
    /// The registry did not answer at all.
    #[error(
        "cannot reach registry {registry}: {reason}; check that it runs and the manifest's registry address"
    )]
    RegistryUnreachable {
        /// The registry, as host or host:port.
        registry: String,
        /// The connection error.
        reason: String,
    },
    /// The registry refused the credentials, or asked for some and none were given.
    #[error("registry {registry} refused access ({detail}): {hint}")]
    RegistryAuth {
        /// The registry, as host or host:port.
        registry: String,
        /// Which credentials were tried (never the secret).
        detail: String,
        /// Where to give the right ones.
        hint: String,
    },
    /// The registry answered something muelle cannot use.
    #[error("registry {registry}: {message}")]
    Registry {
        /// The registry, as host or host:port.
        registry: String,
        /// What was asked and what came back.
        message: String,
    },
    /// A git command failed (no repository, no commit yet, no git).
    #[error("cannot {action}: {message}")]
    Git {
        /// What was being attempted.
        action: String,
        /// git's own words, and what to do.
        message: String,
    },
    /// The release log cannot be read as JSON Lines.
    #[error("{path}: line {line}: {message}")]
    ReleaseLog {
        /// The log file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// Why it does not parse.
        message: String,
    },
    /// The user declined, or muelle would have had to ask with no one to answer.
    #[error("{0}")]
    Refused(String),
    /// A local file operation failed.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being attempted.
        action: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// The process exit code for this error.
    pub fn code(&self) -> i32 {
        match self {
            Error::ManifestNotFound { .. }
            | Error::Manifest { .. }
            | Error::Compose { .. }
            | Error::UnknownTarget { .. }
            | Error::UnknownService { .. }
            | Error::UnknownEnvironment { .. }
            | Error::Refused(_) => EXIT_USAGE,
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

//! What can go wrong with a Docker Engine: finding it, reaching it, and the
//! calls made to it, each kind with the data its one-line message needs.

use std::path::PathBuf;

use bollard::errors::Error as BollardError;

/// A failure to choose, reach or use a Docker Engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The engine could not be reached at all.
    #[error(
        "cannot reach Docker at {endpoint}: {}; start the Docker daemon or set DOCKER_HOST",
        words(.source)
    )]
    Unavailable {
        /// The endpoint tried, as `unix://…`, `tcp://…` or `ssh://…`.
        endpoint: String,
        /// Why the connection failed.
        source: BollardError,
    },
    /// The private socket that carries connections over ssh cannot be made.
    #[error("cannot reach Docker at {endpoint}: cannot open a local socket for ssh ({source})")]
    SshSocket {
        /// The `ssh://` endpoint.
        endpoint: String,
        /// Why the socket could not be made.
        source: std::io::Error,
    },
    /// `DOCKER_HOST` or a context names an address muelle cannot speak to.
    #[error(
        "cannot use Docker host `{host}`: muelle speaks unix://, tcp:// (with TLS when DOCKER_TLS_VERIFY is set) and ssh://"
    )]
    UnsupportedHost {
        /// The address as given.
        host: String,
    },
    /// The selected Docker context does not exist.
    #[error(
        "no Docker context `{name}` in {}: `docker context ls` lists them, `docker context use` picks one",
        .config_dir.display()
    )]
    UnknownContext {
        /// The context's name.
        name: String,
        /// The Docker configuration directory searched.
        config_dir: PathBuf,
    },
    /// A context's metadata or Docker's `config.json` cannot be read.
    #[error("cannot read {}: {reason}", .path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// The I/O or JSON error.
        reason: ConfigProblem,
    },
    /// A context asks to skip TLS verification, which muelle never does.
    #[error(
        "Docker context `{name}` skips TLS verification; muelle always verifies: give the context a CA (`docker context update --docker ca=…`)"
    )]
    SkipTlsVerify {
        /// The context's name.
        name: String,
    },
    /// TLS was asked for but one of its files is not there.
    #[error(
        "TLS for {endpoint} needs {}, which does not exist: set DOCKER_CERT_PATH to the directory with ca.pem, cert.pem and key.pem",
        .path.display()
    )]
    TlsFileMissing {
        /// The endpoint.
        endpoint: String,
        /// The missing file.
        path: PathBuf,
    },
    /// An Engine API call failed.
    #[error("cannot {action}: {}", words(.source))]
    Api {
        /// What muelle was doing, e.g. `create container voting-db-1`.
        action: String,
        /// The daemon's answer.
        source: BollardError,
    },
    /// An image build failed; the last lines of its output say where.
    #[error("cannot build {tag}: {} (after: {})", words(.source), .tail.join(" | "))]
    Build {
        /// The tag being built.
        tag: String,
        /// The builder's error.
        source: BollardError,
        /// The last lines the build printed.
        tail: Vec<String>,
    },
    /// A command run inside a container exited non-zero.
    #[error(
        "`{}` in {service} failed: exit code {}: {}",
        .command.join(" "),
        .code.map_or("unknown".into(), |c| c.to_string()),
        .output.trim().replace('\n', " ")
    )]
    Exec {
        /// The service it ran in.
        service: String,
        /// The command line.
        command: Vec<String>,
        /// Its exit code, when the daemon knows it.
        code: Option<i64>,
        /// What it printed.
        output: String,
    },
}

/// Why a Docker configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigProblem {
    /// It could not be read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// It is not the JSON Docker writes.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// Whether this is the daemon saying a host port is taken.
    pub fn is_port_taken(&self) -> bool {
        let Error::Api { source, .. } = self else {
            return false;
        };
        let words = words(source);
        words.contains("port is already allocated") || words.contains("address already in use")
    }

    /// Whether the engine's configuration (a host, a context, TLS files) is
    /// wrong, as opposed to the engine failing.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            Error::UnsupportedHost { .. }
                | Error::UnknownContext { .. }
                | Error::Config { .. }
                | Error::SkipTlsVerify { .. }
                | Error::TlsFileMissing { .. }
        )
    }
}

/// The daemon's own words for an error, without bollard's wrapping.
pub fn words(error: &BollardError) -> String {
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

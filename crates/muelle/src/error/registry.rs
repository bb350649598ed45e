//! What can go wrong with a registry or the credentials for it, each kind
//! with what its one-line message needs.

use std::path::PathBuf;

use reqwest::StatusCode;

/// A failure to reach, authenticate with, or understand a registry.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The registry (or its token service) did not answer at all.
    #[error(
        "cannot reach registry {registry}: {reason}; check that it runs and the manifest's registry address"
    )]
    Unreachable {
        /// The registry, as host or host:port, or the token service's URL.
        registry: String,
        /// The root cause of the connection error.
        reason: String,
    },
    /// The registry refused the credentials, or asked for some and none were given.
    #[error("registry {registry} refused access ({detail}): {hint}")]
    Auth {
        /// The registry, as host or host:port.
        registry: String,
        /// Which credentials were tried (never the secret).
        detail: String,
        /// Where to give the right ones.
        hint: String,
    },
    /// No HTTP client could be made (TLS set-up).
    #[error("registry {registry}: cannot set up an HTTP client: {source}")]
    Client {
        /// The registry.
        registry: String,
        /// reqwest's error.
        source: reqwest::Error,
    },
    /// An answer arrived but is not the JSON it should be.
    #[error("registry {registry}: unreadable {what}: {source}")]
    Unreadable {
        /// The registry.
        registry: String,
        /// What was read, e.g. `tag list of voting/vote`.
        what: String,
        /// Why it does not parse.
        source: reqwest::Error,
    },
    /// The `401` named a token service whose address does not parse.
    #[error("registry {registry}: bad token realm {realm:?}: {problem}")]
    BadRealm {
        /// The registry.
        registry: String,
        /// The realm as the registry sent it.
        realm: String,
        /// Why it is not a URL.
        problem: String,
    },
    /// The token service answered with an error status.
    #[error("registry {registry}: the token service {realm} answered {status}")]
    TokenStatus {
        /// The registry.
        registry: String,
        /// The token service.
        realm: String,
        /// Its status.
        status: StatusCode,
    },
    /// The token service answered without a token.
    #[error("registry {registry}: the token service {realm} gave no token")]
    NoToken {
        /// The registry.
        registry: String,
        /// The token service.
        realm: String,
    },
    /// The registry answered a status muelle has no use for.
    #[error("registry {registry}: cannot {action} {what}: {status} {detail}")]
    Unexpected {
        /// The registry.
        registry: String,
        /// What was being done, e.g. `list tags of`.
        action: String,
        /// What it was done to.
        what: String,
        /// The status.
        status: StatusCode,
        /// The registry's own error codes and messages, `; ` separated.
        detail: String,
    },
    /// The tag list links on from a page that brought no new tag, which
    /// would be followed for ever.
    #[error(
        "registry {registry}: the tag list of {repository} does not end: the page {page} brought no new tag but links to {next}"
    )]
    EndlessTags {
        /// The registry.
        registry: String,
        /// The repository listed.
        repository: String,
        /// The page that brought nothing new.
        page: String,
        /// The page it links to.
        next: String,
    },
    /// The `Link` to the next page of tags cannot be followed.
    #[error("registry {registry}: {problem}")]
    BadNextPage {
        /// The registry.
        registry: String,
        /// Why it cannot be followed.
        problem: String,
    },
    /// A username is set in the environment without its password.
    #[error("{user_var} is set but {password_var} is not")]
    PasswordMissing {
        /// The username variable.
        user_var: String,
        /// The password variable that is missing.
        password_var: String,
    },
    /// Docker's `config.json` is not JSON of the expected shape.
    #[error("{}: {source}", .path.display())]
    DockerConfig {
        /// The file.
        path: PathBuf,
        /// Why it does not parse.
        source: serde_json::Error,
    },
    /// A stored `auth` is not base64 of `user:password`.
    #[error(
        "the docker config's stored auth for the registry is not base64 of user:password; run `docker login` again"
    )]
    StoredAuth,
    /// A credential helper could not be run.
    #[error("{program} get: cannot run it ({source}); install it or fix the docker config")]
    HelperMissing {
        /// `docker-credential-<name>`.
        program: String,
        /// Why it did not start.
        source: std::io::Error,
    },
    /// A credential helper failed or answered something unreadable.
    #[error("{program} get: {said}")]
    Helper {
        /// `docker-credential-<name>`.
        program: String,
        /// What it printed, or why its answer is unreadable.
        said: String,
    },
}

impl Error {
    /// Whether the user's own input (credentials, Docker's config) is at
    /// fault, as opposed to the registry.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            Error::PasswordMissing { .. }
                | Error::DockerConfig { .. }
                | Error::StoredAuth
                | Error::HelperMissing { .. }
                | Error::Helper { .. }
        )
    }
}

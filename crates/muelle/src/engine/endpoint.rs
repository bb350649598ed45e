//! Where a Docker Engine listens and how to connect to it, chosen the way
//! the docker CLI chooses: `DOCKER_HOST`, else `DOCKER_CONTEXT`, else the
//! current context of Docker's `config.json`, else the local socket. The
//! lab and the cluster talk to several engines at once, so an endpoint is a
//! value and [`connect`] takes one.

use std::fmt;
use std::path::{Path, PathBuf};

use bollard::{API_DEFAULT_VERSION, Docker};
use sha2::{Digest, Sha256};

use super::ssh::{self, Destination};

use crate::error::engine::{ConfigProblem, Error};

/// The engine's socket when nothing else is said, as in the docker CLI.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// The ssh client, found on `PATH` as the docker CLI finds it.
const SSH: &str = "ssh";
/// The context that means "no context": `DOCKER_HOST` or the local socket.
const DEFAULT_CONTEXT: &str = "default";
/// Seconds a request may take. Bollard's own default, which builds and pulls
/// have always run under: they stream, and each chunk restarts nothing, so
/// this bounds a daemon that stopped answering rather than a long build.
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// One Docker Engine to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A local Unix socket.
    Unix(PathBuf),
    /// TCP, plain (`tcp://host:port`) or with TLS and a client certificate.
    Tcp {
        /// `host:port`.
        address: String,
        /// The certificates, when the engine speaks TLS.
        tls: Option<TlsFiles>,
    },
    /// `ssh://[user@]host[:port]`: the remote `docker system dial-stdio`,
    /// reached with the system's ssh and its configuration and keys.
    Ssh(Destination),
}

/// The files TLS to an engine needs, named as Docker names them in a
/// certificate directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The CA that signed the engine's certificate.
    pub ca: PathBuf,
    /// The client's certificate.
    pub cert: PathBuf,
    /// The client's private key.
    pub key: PathBuf,
}

impl TlsFiles {
    /// `ca.pem`, `cert.pem` and `key.pem` in `dir`.
    pub fn in_dir(dir: &Path) -> TlsFiles {
        TlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }
}

/// What the docker CLI reads from the environment to choose an engine.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `DOCKER_HOST`.
    pub host: Option<String>,
    /// `DOCKER_CONTEXT`.
    pub context: Option<String>,
    /// Whether `DOCKER_TLS_VERIFY` is set to something.
    pub tls_verify: bool,
    /// `DOCKER_CERT_PATH`; the configuration directory when unset.
    pub cert_path: Option<PathBuf>,
    /// `DOCKER_CONFIG`, else `~/.docker`.
    pub config_dir: PathBuf,
}

impl Environment {
    /// This process's environment.
    pub fn from_process() -> Environment {
        Environment {
            host: var("DOCKER_HOST"),
            context: var("DOCKER_CONTEXT"),
            tls_verify: var("DOCKER_TLS_VERIFY").is_some(),
            cert_path: var("DOCKER_CERT_PATH").map(PathBuf::from),
            config_dir: config_dir(),
        }
    }
}

/// Docker's configuration directory, where the docker CLI keeps
/// `config.json` and contexts: `DOCKER_CONFIG`, else `~/.docker`.
pub fn config_dir() -> PathBuf {
    var("DOCKER_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(var("HOME").unwrap_or_else(|| "/".into())).join(".docker"))
}

/// An environment variable that is set and not empty.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Endpoint {
    /// The engine this process's environment selects.
    pub fn from_env() -> Result<Endpoint, Error> {
        Endpoint::resolve(&Environment::from_process())
    }

    /// The engine `env` selects, in the docker CLI's order.
    pub fn resolve(env: &Environment) -> Result<Endpoint, Error> {
        if let Some(host) = &env.host {
            let tls = env
                .tls_verify
                .then(|| TlsFiles::in_dir(env.cert_path.as_deref().unwrap_or(&env.config_dir)));
            return Endpoint::parse(host, tls);
        }
        let name = match &env.context {
            Some(name) => name.clone(),
            None => current_context(&env.config_dir)?,
        };
        if name == DEFAULT_CONTEXT {
            return Ok(Endpoint::Unix(DEFAULT_SOCKET.into()));
        }
        from_context(&env.config_dir, &name)
    }

    /// Reads an address such as `unix:///run/docker.sock`, `tcp://10.0.0.2:2376`
    /// or `ssh://deploy@node1`; `tls` is used for `tcp://`.
    pub fn parse(host: &str, tls: Option<TlsFiles>) -> Result<Endpoint, Error> {
        let unsupported = || Error::UnsupportedHost {
            host: host.to_owned(),
        };
        let (scheme, rest) = host.split_once("://").ok_or_else(unsupported)?;
        match scheme {
            "unix" if !rest.is_empty() => Ok(Endpoint::Unix(rest.into())),
            "tcp" | "http" if !rest.is_empty() => Ok(Endpoint::Tcp {
                address: rest.trim_end_matches('/').to_owned(),
                tls,
            }),
            "ssh" => Destination::parse(rest)
                .map(Endpoint::Ssh)
                .ok_or_else(unsupported),
            _ => Err(unsupported()),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
            Endpoint::Tcp { address, .. } => write!(f, "tcp://{address}"),
            Endpoint::Ssh(to) => {
                f.write_str("ssh://")?;
                if let Some(user) = &to.user {
                    write!(f, "{user}@")?;
                }
                match (to.host.contains(':'), to.port) {
                    (true, Some(port)) => write!(f, "[{}]:{port}", to.host),
                    (true, None) => write!(f, "[{}]", to.host),
                    (false, Some(port)) => write!(f, "{}:{port}", to.host),
                    (false, None) => f.write_str(&to.host),
                }
            }
        }
    }
}

/// Connects to `endpoint` and agrees on an API version, so engines older
/// than bollard's default (20.10 speaks 1.41) work.
pub async fn connect(endpoint: &Endpoint) -> Result<Docker, Error> {
    open(endpoint, Path::new(SSH)).await
}

/// [`connect`], with the ssh program to run for `ssh://`.
pub(super) async fn open(endpoint: &Endpoint, ssh_program: &Path) -> Result<Docker, Error> {
    let unavailable = |source| Error::Unavailable {
        endpoint: endpoint.to_string(),
        source,
    };
    let docker = match endpoint {
        Endpoint::Unix(path) => Docker::connect_with_unix(
            &path.to_string_lossy(),
            REQUEST_TIMEOUT_SECS,
            API_DEFAULT_VERSION,
        ),
        Endpoint::Tcp { address, tls: None } => {
            Docker::connect_with_http(address, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        }
        Endpoint::Tcp {
            address,
            tls: Some(tls),
        } => {
            for path in [&tls.ca, &tls.cert, &tls.key] {
                if !path.is_file() {
                    return Err(Error::TlsFileMissing {
                        endpoint: endpoint.to_string(),
                        path: path.clone(),
                    });
                }
            }
            // bollard builds its TLS configuration from rustls' process-wide
            // provider; install the one reqwest already brings. A second
            // call finds it installed, which is fine.
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
            Docker::connect_with_ssl(
                address,
                &tls.key,
                &tls.cert,
                &tls.ca,
                REQUEST_TIMEOUT_SECS,
                API_DEFAULT_VERSION,
            )
        }
        Endpoint::Ssh(destination) => {
            let socket = ssh::bridge(ssh_program.to_owned(), destination).map_err(|source| {
                Error::SshSocket {
                    endpoint: endpoint.to_string(),
                    source,
                }
            })?;
            Docker::connect_with_unix(
                &socket.to_string_lossy(),
                REQUEST_TIMEOUT_SECS,
                API_DEFAULT_VERSION,
            )
        }
    }
    .map_err(unavailable)?;
    docker.negotiate_version().await.map_err(unavailable)
}

/// The `currentContext` of Docker's `config.json`, `default` without one.
fn current_context(config_dir: &Path) -> Result<String, Error> {
    #[derive(serde::Deserialize)]
    struct Config {
        #[serde(rename = "currentContext", default)]
        current_context: Option<String>,
    }
    let path = config_dir.join("config.json");
    let config: Option<Config> = read_json(&path)?;
    Ok(config
        .and_then(|c| c.current_context)
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| DEFAULT_CONTEXT.to_owned()))
}

/// The endpoint a named context stores: its metadata lives under the
/// SHA-256 of its name, and its TLS files next to it, as the docker CLI
/// writes them.
fn from_context(config_dir: &Path, name: &str) -> Result<Endpoint, Error> {
    #[derive(serde::Deserialize)]
    struct Meta {
        #[serde(rename = "Endpoints", default)]
        endpoints: std::collections::HashMap<String, DockerEndpoint>,
    }
    #[derive(serde::Deserialize)]
    struct DockerEndpoint {
        #[serde(rename = "Host", default)]
        host: String,
        #[serde(rename = "SkipTLSVerify", default)]
        skip_tls_verify: bool,
    }
    let id = hex::encode(Sha256::digest(name.as_bytes()));
    let contexts = config_dir.join("contexts");
    let unknown = || Error::UnknownContext {
        name: name.to_owned(),
        config_dir: config_dir.to_owned(),
    };
    let meta: Meta =
        read_json(&contexts.join("meta").join(&id).join("meta.json"))?.ok_or_else(unknown)?;
    let docker = meta.endpoints.get("docker").ok_or_else(unknown)?;
    if docker.skip_tls_verify {
        return Err(Error::SkipTlsVerify {
            name: name.to_owned(),
        });
    }
    let tls_dir = contexts.join("tls").join(&id).join("docker");
    let tls = tls_dir.is_dir().then(|| TlsFiles::in_dir(&tls_dir));
    Endpoint::parse(&docker.host, tls)
}

/// A JSON file, or `None` when it does not exist.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, Error> {
    let problem = |reason: ConfigProblem| Error::Config {
        path: path.to_owned(),
        reason,
    };
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| problem(e.into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(problem(e.into())),
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tls_tests;

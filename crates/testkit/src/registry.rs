//! A private Docker registry per test: Debian's `docker-registry`, the
//! reference distribution registry, on a free loopback port.

use std::path::Path;
use std::time::Duration;

use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use crate::port::{Answer, free_ports, start_verified};
use crate::process::Server;

/// A response header every answer of our registry carries, with a value
/// no other test's registry has, so that a probe can tell ours from another.
const IDENTITY_HEADER: &str = "X-Testkit-Registry";

/// The most of a `/v2/` answer a probe reads: its head is a few hundred
/// bytes.
const PROBE_READ_LIMIT: usize = 8 * 1024;

/// How long a fresh registry may take to answer `/v2/`.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// Credentials a registry started with [`Registry::start_with_auth`] accepts.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// A real registry, storing images in a temporary directory. The Docker
/// engine treats registries on 127.0.0.1 as insecure, so it can push over
/// plain HTTP.
pub struct Registry {
    // Declared first so that it is killed before its directory is removed.
    _server: Server,
    _dir: TempDir,
    port: u16,
    credentials: Option<Credentials>,
}

impl Registry {
    /// A registry anyone may push to.
    pub async fn start() -> Registry {
        Registry::launch(None).await
    }

    /// A registry that asks for basic authentication (htpasswd, bcrypt).
    pub async fn start_with_auth(username: &str, password: &str) -> Registry {
        Registry::launch(Some(Credentials {
            username: username.into(),
            password: password.into(),
        }))
        .await
    }

    async fn launch(credentials: Option<Credentials>) -> Registry {
        Registry::launch_on(free_ports(), credentials).await
    }

    /// Starts on the first of `ports` where our own registry answers.
    async fn launch_on(
        ports: impl IntoIterator<Item = u16>,
        credentials: Option<Credentials>,
    ) -> Registry {
        let dir = tempfile::Builder::new()
            .prefix("testkit-registry-")
            .tempdir()
            .expect("creating a temporary directory");
        let htpasswd = dir.path().join("htpasswd");
        if let Some(credentials) = &credentials {
            let output = Command::new("htpasswd")
                .args(["-Bbn", &credentials.username, &credentials.password])
                .output()
                .await
                .expect("running htpasswd (apt-get install apache2-utils)");
            assert!(output.status.success(), "htpasswd failed");
            std::fs::write(&htpasswd, output.stdout).expect("writing the htpasswd file");
        }
        let identity = identity(&dir);
        let spawn = |port| {
            let auth = credentials.as_ref().map(|_| htpasswd.as_path());
            let config_path = write_config(&dir, port, &identity, auth);
            let mut command = Command::new("docker-registry");
            command.arg("serve").arg(&config_path);
            Server::spawn_as_self("docker-registry", command)
        };
        let probe = |port, _pid| answer(port, identity.clone());
        let (server, port) =
            start_verified("docker-registry", ports, READY_TIMEOUT, spawn, probe).await;
        Registry {
            _server: server,
            _dir: dir,
            port,
            credentials,
        }
    }

    /// `127.0.0.1:<port>`, the registry part of an image reference.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The credentials it accepts, if it asks for any.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }
}

/// The manifest digest the registry at `host` (`127.0.0.1:<port>`, no
/// credentials) gives `<repository>:<tag>`, asked of the registry itself.
pub async fn manifest_digest(host: &str, repository: &str, tag: &str) -> Result<String, String> {
    let url = format!("http://{host}/v2/{repository}/manifests/{tag}");
    let response = reqwest::Client::new()
        .head(&url)
        .header(
            "Accept",
            "application/vnd.docker.distribution.manifest.v2+json, \
             application/vnd.oci.image.manifest.v1+json",
        )
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("HEAD {url}: {e}"))?;
    response
        .headers()
        .get("Docker-Content-Digest")
        .and_then(|d| d.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| format!("{url} gave no digest"))
}

/// The value of [`IDENTITY_HEADER`]: the name of the registry's own
/// temporary directory.
fn identity(dir: &TempDir) -> String {
    let name = dir.path().file_name().unwrap_or_default();
    name.to_string_lossy().into_owned()
}

/// Writes the registry's configuration for `port` and returns its path.
fn write_config(
    dir: &TempDir,
    port: u16,
    identity: &str,
    htpasswd: Option<&Path>,
) -> std::path::PathBuf {
    let mut config = format!(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  headers:\n    {IDENTITY_HEADER}: [{identity}]\n",
        root = dir.path().join("data").display(),
    );
    if let Some(htpasswd) = htpasswd {
        config.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: testkit\n    path: {}\n",
            htpasswd.display()
        ));
    }
    let path = dir.path().join("config.yml");
    std::fs::write(&path, config).expect("writing the registry configuration");
    path
}

/// Whether the registry answering `GET /v2/` on `port` carries our
/// `identity` (it does whether or not it asks for credentials).
async fn answer(port: u16, identity: String) -> Answer {
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return Answer::Nothing;
    };
    let request = format!("GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return Answer::Nothing;
    }
    let mut head = Vec::new();
    let mut reader = stream.take(PROBE_READ_LIMIT as u64);
    if reader.read_to_end(&mut head).await.is_err() || head.is_empty() {
        return Answer::Nothing;
    }
    let head = String::from_utf8_lossy(&head);
    let ours = head.lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case(IDENTITY_HEADER) && value.trim() == identity
        })
    });
    if ours { Answer::Ours } else { Answer::Foreign }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_start_on_a_port_another_registry_holds_moves_to_another_port() {
        let first = Registry::start().await;
        let taken = first.port;
        let second = Registry::launch_on([taken].into_iter().chain(free_ports()), None).await;
        assert_ne!(second.port, taken);
        assert_eq!(
            answer(second.port, identity(&second._dir)).await,
            Answer::Ours
        );
        assert_eq!(answer(taken, identity(&second._dir)).await, Answer::Foreign);
    }

    #[tokio::test]
    async fn a_registry_that_asks_for_credentials_is_recognised_too() {
        let registry = Registry::start_with_auth("tester", "secret").await;
        let identity = identity(&registry._dir);
        assert_eq!(answer(registry.port, identity).await, Answer::Ours);
    }
}

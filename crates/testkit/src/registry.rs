//! A private Docker registry per test: Debian's `docker-registry`, the
//! reference distribution registry, on a free loopback port.

use std::time::Duration;

use tempfile::TempDir;
use tokio::process::Command;

use crate::process::{Server, free_port};

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
        let dir = tempfile::Builder::new()
            .prefix("testkit-registry-")
            .tempdir()
            .expect("creating a temporary directory");
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            root = dir.path().join("data").display(),
        );
        if let Some(credentials) = &credentials {
            let htpasswd = dir.path().join("htpasswd");
            let output = Command::new("htpasswd")
                .args(["-Bbn", &credentials.username, &credentials.password])
                .output()
                .await
                .expect("running htpasswd (apt-get install apache2-utils)");
            assert!(output.status.success(), "htpasswd failed");
            std::fs::write(&htpasswd, output.stdout).expect("writing the htpasswd file");
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: testkit\n    path: {}\n",
                htpasswd.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("writing the registry configuration");
        let mut command = Command::new("docker-registry");
        command.arg("serve").arg(&config_path);
        let server = Server::spawn_as_self("docker-registry", command);
        let registry = Registry {
            _server: server,
            _dir: dir,
            port,
            credentials,
        };
        registry.wait_ready().await;
        registry
    }

    /// `127.0.0.1:<port>`, the registry part of an image reference.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The credentials it accepts, if it asks for any.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    async fn wait_ready(&self) {
        let address = ("127.0.0.1", self.port);
        let ready = async {
            while tokio::net::TcpStream::connect(address).await.is_err() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(READY_TIMEOUT, ready)
            .await
            .unwrap_or_else(|_| panic!("docker-registry on port {} did not start", self.port));
    }
}

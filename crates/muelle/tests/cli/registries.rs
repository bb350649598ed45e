//! What the push tests share: a real registry (testkit's Debian
//! `docker-registry`) on a loopback port, the `hello` fixture as a git
//! repository with environments pointing there, and reads of the registry
//! API made by hand, so the tests check muelle against the registry itself.

use std::path::Path;
use std::process::Command;

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::common::{Fixture, hello_project, http};

/// A registry and the runtime its process handle belongs to.
pub struct LiveRegistry {
    // Dropped first: the registry is killed while its runtime still runs.
    registry: testkit::Registry,
    _runtime: tokio::runtime::Runtime,
    /// `Authorization` header for reads by hand, when it asks for credentials.
    authorization: Option<String>,
}

impl LiveRegistry {
    /// An open registry, or one with htpasswd auth for `user`/`password`.
    pub fn start(auth: Option<(&str, &str)>) -> LiveRegistry {
        let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
        let registry = runtime.block_on(async {
            match auth {
                Some((user, password)) => testkit::Registry::start_with_auth(user, password).await,
                None => testkit::Registry::start().await,
            }
        });
        let authorization = auth.map(|(user, password)| {
            let pair =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            format!("Authorization: Basic {pair}")
        });
        LiveRegistry {
            registry,
            _runtime: runtime,
            authorization,
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        self.registry.host()
    }

    fn port(&self) -> u16 {
        self.host()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port")
    }

    fn get(&self, method: &str, path: &str, accept: Option<&str>) -> (u16, String) {
        let mut headers: Vec<String> = self.authorization.iter().cloned().collect();
        headers.extend(accept.map(|a| format!("Accept: {a}")));
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        http(self.port(), &format!("{method} {path}"), &headers, "")
            .unwrap_or_else(|| panic!("the registry did not answer {method} {path}"))
    }

    /// The tags of a repository, sorted; none when it does not exist.
    pub fn tags(&self, repository: &str) -> Vec<String> {
        let (status, body) = self.get("GET", &format!("/v2/{repository}/tags/list"), None);
        if status == 404 {
            return Vec::new();
        }
        assert_eq!(status, 200, "{body}");
        let list: serde_json::Value = serde_json::from_str(&body).expect("a tag list");
        let mut tags: Vec<String> = list["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect();
        tags.sort();
        tags
    }

    /// The manifest of `repository:reference` and its digest, computed from its bytes.
    pub fn manifest(&self, repository: &str, reference: &str) -> (serde_json::Value, String) {
        let (status, body) = self.get(
            "GET",
            &format!("/v2/{repository}/manifests/{reference}"),
            Some("application/vnd.docker.distribution.manifest.v2+json"),
        );
        assert_eq!(status, 200, "{body}");
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(body.as_bytes())));
        (serde_json::from_str(&body).expect("a manifest"), digest)
    }

    /// The image labels of `repository:reference`, from its config blob.
    pub fn labels(&self, repository: &str, reference: &str) -> serde_json::Value {
        let (manifest, _) = self.manifest(repository, reference);
        let config = manifest["config"]["digest"]
            .as_str()
            .expect("a config digest");
        let (status, body) = self.get("GET", &format!("/v2/{repository}/blobs/{config}"), None);
        assert_eq!(status, 200, "{body}");
        let config: serde_json::Value = serde_json::from_str(&body).expect("an image config");
        config["config"]["Labels"].clone()
    }

    /// Deletes a manifest (and so every tag naming it).
    pub fn delete(&self, repository: &str, digest: &str) {
        let (status, body) = self.get(
            "DELETE",
            &format!("/v2/{repository}/manifests/{digest}"),
            None,
        );
        assert_eq!(status, 202, "{body}");
    }
}

/// The `hello` fixture as a git repository with one commit, whose manifest
/// pushes `dev` to `<registry>/team/dev_hello` and `prod` to `<registry>/team/hello`.
pub fn git_project(registry: &str) -> Fixture {
    let fixture = hello_project();
    let manifest = fixture.path().join("muelle.toml");
    let mut text = std::fs::read_to_string(&manifest).expect("manifest");
    text.push_str(&format!(
        "\n[environments.dev]\nregistry = \"{registry}\"\nrepository = \"team/dev_\"\n\n[environments.prod]\nregistry = \"{registry}\"\nrepository = \"team/\"\n"
    ));
    std::fs::write(&manifest, text).expect("write manifest");
    std::fs::write(fixture.path().join(".gitignore"), "target/\nCargo.lock\n").expect("gitignore");
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["config", "user.name", "Test User"],
        &["config", "user.email", "test@example.com"],
        &["add", "-A"],
        &["commit", "-q", "-m", "hello: the first version"],
    ] {
        git(fixture.path(), args);
    }
    fixture
}

/// Runs git in `dir`; its stdout, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Today's date tag, as `date -u` says it.
pub fn today() -> String {
    let output = Command::new("date")
        .args(["-u", "+%Y%m%d"])
        .output()
        .expect("run date");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

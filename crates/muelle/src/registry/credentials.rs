//! Registry credentials, from where docker users already keep them and never
//! from the manifest: `MUELLE_<ENV>_REGISTRY_USERNAME`/`_PASSWORD`, then
//! `MUELLE_REGISTRY_USERNAME`/`_PASSWORD`, then Docker's `config.json`
//! (`credHelpers`, `auths`, `credsStore`). The password stays in a
//! [`SecretString`], so no `Debug` or error message can show it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::Error as RegistryError;
use crate::error::{Error, Result};

/// A user name and its password (or token), and where they came from.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user name; not secret, shown in errors.
    pub username: String,
    /// The password or token.
    pub password: SecretString,
    /// Where they were found, e.g. `MUELLE_REGISTRY_USERNAME`, for error messages.
    pub source: String,
}

impl Credentials {
    /// The `Authorization: Basic …` value.
    pub fn basic(&self) -> String {
        let pair = format!("{}:{}", self.username, self.password.expose_secret());
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    /// The form the Engine API takes for a push.
    pub fn for_docker(&self, registry: &str) -> bollard::auth::DockerCredentials {
        bollard::auth::DockerCredentials {
            username: Some(self.username.clone()),
            password: Some(self.password.expose_secret().to_owned()),
            serveraddress: Some(registry.to_owned()),
            ..Default::default()
        }
    }
}

/// The names of the variables muelle reads for an environment, most specific first.
pub fn variables(environment: &str) -> [(String, String); 2] {
    let env = environment.to_ascii_uppercase().replace('-', "_");
    [
        (
            format!("MUELLE_{env}_REGISTRY_USERNAME"),
            format!("MUELLE_{env}_REGISTRY_PASSWORD"),
        ),
        (
            "MUELLE_REGISTRY_USERNAME".into(),
            "MUELLE_REGISTRY_PASSWORD".into(),
        ),
    ]
}

/// Finds the credentials for `registry`, used by `environment`; `None` means anonymous.
pub fn find(environment: &str, registry: &str) -> Result<Option<Credentials>> {
    for (user_var, password_var) in variables(environment) {
        if let Ok(username) = std::env::var(&user_var) {
            let password =
                std::env::var(&password_var).map_err(|_| RegistryError::PasswordMissing {
                    user_var: user_var.clone(),
                    password_var,
                })?;
            return Ok(Some(Credentials {
                username,
                password: password.into(),
                source: user_var,
            }));
        }
    }
    let path = docker_config_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("read {}", path.display()))(e)),
    };
    let config = DockerConfig::parse(&text).map_err(|source| RegistryError::DockerConfig {
        path: path.clone(),
        source,
    })?;
    match config.lookup(registry)? {
        Some(Found::Stored(credentials)) => Ok(Some(credentials)),
        Some(Found::Helper(helper)) => run_helper(&helper, registry),
        None => Ok(None),
    }
}

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, as the docker CLI reads it.
fn docker_config_path() -> PathBuf {
    crate::engine::endpoint::config_dir().join("config.json")
}

/// The parts of Docker's `config.json` that hold credentials.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, StoredAuth>,
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct StoredAuth {
    auth: Option<SecretString>,
}

/// Where the credentials of a registry are, in a `config.json`.
#[derive(Debug)]
pub enum Found {
    /// Stored in `auths` (what `docker login` writes without a helper).
    Stored(Credentials),
    /// Kept by `docker-credential-<helper>`.
    Helper(String),
}

impl DockerConfig {
    /// Reads the file's text.
    pub fn parse(text: &str) -> Result<DockerConfig, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Looks `registry` up the way docker does: its helper, its `auths`
    /// entry (keys may carry a scheme and path), then the default store.
    pub fn lookup(&self, registry: &str) -> Result<Option<Found>> {
        let matches = |key: &str| host_of(key) == registry;
        if let Some((_, helper)) = self.cred_helpers.iter().find(|(k, _)| matches(k)) {
            return Ok(Some(Found::Helper(helper.clone())));
        }
        if let Some((_, stored)) = self.auths.iter().find(|(k, _)| matches(k)) {
            if let Some(auth) = &stored.auth {
                return decode(auth.expose_secret()).map(|c| Some(Found::Stored(c)));
            }
        }
        Ok(self.creds_store.clone().map(Found::Helper))
    }
}

/// `https://host:port/v1/` → `host:port`.
fn host_of(key: &str) -> &str {
    let rest = key.split_once("://").map_or(key, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// Decodes an `auths.<registry>.auth` value, base64 of `user:password`.
fn decode(auth: &str) -> Result<Credentials> {
    let bad = || RegistryError::StoredAuth;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (username, password) = text.split_once(':').ok_or_else(bad)?;
    Ok(Credentials {
        username: username.to_owned(),
        password: password.to_owned().into(),
        source: "the docker config (docker login)".into(),
    })
}

/// What a credential helper prints for `get`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: SecretString,
}

/// Asks `docker-credential-<helper> get`; a helper that knows nothing of the registry means anonymous.
fn run_helper(helper: &str, registry: &str) -> Result<Option<Credentials>> {
    let program = format!("docker-credential-{helper}");
    let failed = |said: String| RegistryError::Helper {
        program: program.clone(),
        said,
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| RegistryError::HelperMissing {
            program: program.clone(),
            source,
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(registry.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|e| failed(e.to_string()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        if stdout.contains("credentials not found") {
            return Ok(None);
        }
        return Err(failed(stdout.trim().to_owned()).into());
    }
    let answer: HelperAnswer =
        serde_json::from_str(&stdout).map_err(|e| failed(format!("unreadable answer: {e}")))?;
    Ok(Some(Credentials {
        username: answer.username,
        password: answer.secret,
        source: program,
    }))
}

/// Where docker's config is read from, for messages.
pub fn config_file() -> PathBuf {
    docker_config_path()
}

/// Says where credentials for `environment` can be given.
pub fn hint(environment: &str, registry: &str, config: &Path) -> String {
    let [(user, password), _] = variables(environment);
    format!(
        "set {user} and {password} (or MUELLE_REGISTRY_USERNAME and MUELLE_REGISTRY_PASSWORD), or run `docker login {registry}` (read from {})",
        config.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{
        "auths": {
            "https://registry.example.com/v1/": {"auth": "YWxpY2U6czNjcjN0"},
            "other.example.com": {}
        },
        "credHelpers": {"ecr.example.com": "ecr-login"},
        "credsStore": "pass"
    }"#;

    #[test]
    fn stored_auths_decode_to_user_and_password() {
        let config = DockerConfig::parse(CONFIG).unwrap();
        let Some(Found::Stored(c)) = config.lookup("registry.example.com").unwrap() else {
            panic!("no stored credentials");
        };
        assert_eq!(c.username, "alice");
        assert_eq!(c.password.expose_secret(), "s3cr3t");
        assert_eq!(c.basic(), "Basic YWxpY2U6czNjcjN0");
    }

    #[test]
    fn helpers_come_first_and_the_store_is_the_fallback() {
        let config = DockerConfig::parse(CONFIG).unwrap();
        assert!(
            matches!(config.lookup("ecr.example.com").unwrap(), Some(Found::Helper(h)) if h == "ecr-login")
        );
        assert!(
            matches!(config.lookup("other.example.com").unwrap(), Some(Found::Helper(h)) if h == "pass")
        );
        let bare = DockerConfig::parse(r#"{"auths": {}}"#).unwrap();
        assert!(bare.lookup("registry.example.com").unwrap().is_none());
    }

    #[test]
    fn a_broken_auth_is_an_error_without_the_secret() {
        let config =
            DockerConfig::parse(r#"{"auths": {"r.io": {"auth": "bm9jb2xvbg=="}}}"#).unwrap();
        let err = config.lookup("r.io").unwrap_err().to_string();
        assert!(err.contains("not base64 of user:password"), "{err}");
        assert!(!err.contains("nocolon"), "{err}");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let c = decode("YWxpY2U6czNjcjN0").unwrap();
        let shown = format!("{c:?}");
        assert!(
            shown.contains("alice") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }

    #[test]
    fn variables_are_per_environment_then_shared() {
        let [(u, p), (shared, _)] = variables("prod");
        assert_eq!(
            (u.as_str(), p.as_str(), shared.as_str()),
            (
                "MUELLE_PROD_REGISTRY_USERNAME",
                "MUELLE_PROD_REGISTRY_PASSWORD",
                "MUELLE_REGISTRY_USERNAME"
            )
        );
    }
}

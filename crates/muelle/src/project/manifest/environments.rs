//! The manifest's deploy side: `[stack]`, the Swarm stack `muelle deploy`
//! reads, `[stacks.<name>]`, the stacks deployed beside it with `--stack`
//! (monitoring), and `[environments.<name>]`, where an environment's images are
//! pushed, which Docker engine runs its stack and what variables it adds.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::{Manifest, check_name, line_of};
use crate::engine::Endpoint;

/// The environment of `muelle lab`: found on the host engine, never declared.
pub const LAB: &str = "lab";

/// `[stack]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// The stack's namespace (`docker stack deploy … <name>`); default: the project name.
    pub name: Option<String>,
    /// The stack files, merged in order, relative to the manifest.
    #[serde(default = "default_stack_files")]
    pub files: Vec<PathBuf>,
    /// Files merged after `files` for the lab environment only.
    #[serde(default)]
    pub lab_files: Vec<PathBuf>,
}

impl Default for Stack {
    fn default() -> Stack {
        Stack {
            name: None,
            files: default_stack_files(),
            lab_files: Vec::new(),
        }
    }
}

/// `[stacks.<name>]`: a stack deployed beside the app's with
/// `muelle deploy --stack <name>`, in the namespace `<name>`. It builds no
/// image: its images come from its variables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherStack {
    /// The stack files, merged in order, relative to the manifest.
    pub files: Vec<PathBuf>,
    /// Files merged after `files` for the lab environment only.
    #[serde(default)]
    pub lab_files: Vec<PathBuf>,
}

fn default_stack_files() -> Vec<PathBuf> {
    vec![PathBuf::from("deploy/stack.yaml")]
}

/// `[environments.<name>]`: where the images of one environment are pushed
/// and the engine of the cluster it deploys to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Registry host, with port if any, e.g. `registry.example.com`.
    pub registry: String,
    /// Repository prefix; the image of `vote` becomes `<registry>/<repository>vote`.
    pub repository: String,
    /// The Docker engine of the cluster's manager (`unix://`, `tcp://`,
    /// `ssh://`); default: what `DOCKER_HOST` or the Docker context selects.
    pub endpoint: Option<Spanned<String>>,
    /// Extra variables for the stack files of this environment.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

impl Environment {
    /// The endpoint as written, if any.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_ref().map(|e| e.get_ref().as_str())
    }
}

/// Checks `[stack]` and `[environments]`; `text` gives lines for the values.
pub(super) fn check(manifest: &Manifest, text: &str) -> Result<(), String> {
    if let Some(name) = &manifest.stack.name {
        check_name("stack.name", name)?;
    }
    if manifest.stack.files.is_empty() {
        return Err("stack.files: name at least one stack file".into());
    }
    for (name, stack) in &manifest.stacks {
        check_name(&format!("stacks.{name}"), name)?;
        if Some(name) == manifest.stack.name.as_ref() {
            return Err(format!(
                "stacks.{name}: `{name}` is the app's stack ([stack] name); choose another name"
            ));
        }
        if stack.files.is_empty() {
            return Err(format!("stacks.{name}.files: name at least one stack file"));
        }
    }
    for (name, env) in &manifest.environments {
        if name == LAB {
            return Err(format!(
                "environments.{LAB}: `{LAB}` is the environment of `muelle lab`, which muelle finds by itself; choose another name"
            ));
        }
        if env.registry.contains("://") || env.registry.is_empty() {
            return Err(format!(
                "environments.{name}.registry: give a host[:port] without scheme, not {:?}",
                env.registry
            ));
        }
        let repository_ok = env
            .repository
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c))
            && !env.repository.starts_with('/');
        if !repository_ok {
            return Err(format!(
                "environments.{name}.repository: {:?} must be lowercase letters, digits, `.`, `_`, `-` or `/`, not starting with `/`",
                env.repository
            ));
        }
        if let Some(endpoint) = &env.endpoint {
            if Endpoint::parse(endpoint.get_ref(), None).is_err() {
                return Err(format!(
                    "line {}: environments.{name}.endpoint: {:?} is not a Docker endpoint: give unix:///path/to/docker.sock, tcp://host:port or ssh://[user@]host[:port]",
                    line_of(text, endpoint.span().start),
                    endpoint.get_ref()
                ));
            }
        }
        if let Some(bad) = env.variables.keys().find(|k| !is_variable_name(k)) {
            return Err(format!(
                "environments.{name}.variables.{bad}: a variable name is letters, digits and `_`, not starting with a digit"
            ));
        }
    }
    Ok(())
}

/// A name `${NAME}` can refer to in a stack file.
fn is_variable_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

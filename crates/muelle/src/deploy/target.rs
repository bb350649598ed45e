//! `--env NAME` resolved to what a deploy needs: the engine of the
//! cluster's manager, the registry and repository prefix its images are
//! in, the stack files and the variables it adds. Declared environments
//! come from `muelle.toml`; `lab` from the running lab (`muelle lab up`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::Error as DeployError;
use super::history::History;
use crate::engine::endpoint::{Environment as DockerEnvironment, TlsFiles};
use crate::engine::{self, Endpoint};
use crate::error::Result;
use crate::project::manifest::{LAB, OtherStack};
use crate::project::{self, Project};
use crate::release::publish::Destination;

/// Everything a deploy to one environment needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The environment's name.
    pub name: String,
    /// The engine of the cluster's manager.
    pub endpoint: Endpoint,
    /// Registry host, e.g. `127.0.0.1:5000`.
    pub registry: String,
    /// Repository prefix: the image of `vote` is `<registry>/<repository>vote`.
    pub repository: String,
    /// The stack files, merged in order, as paths under the project root.
    pub stack_files: Vec<PathBuf>,
    /// The variables the environment adds to the stack files.
    pub variables: BTreeMap<String, String>,
    /// Its deploy history.
    pub history: History,
}

/// What a running lab tells a deploy (from `lab::find`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lab {
    /// The manager's engine, `tcp://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The lab registry, `127.0.0.1:<port>`, the same name for the host and the nodes.
    pub registry: String,
    /// What the stack needs on the lab (stand-in images, domain, pebble).
    pub variables: BTreeMap<String, String>,
    /// The lab's state directory, which keeps the lab's deploy history.
    pub state_dir: PathBuf,
}

impl Target {
    /// Where `muelle push` sends this environment's images.
    pub fn destination(&self) -> Destination {
        Destination {
            environment: self.name.clone(),
            registry: self.registry.clone(),
            prefix: self.repository.clone(),
        }
    }

    /// `<registry>/<repository><service>`, the image's name without tag or digest.
    pub fn image_name(&self, service: &str) -> String {
        format!("{}/{}{service}", self.registry, self.repository)
    }
}

/// An environment of the manifest. `DOCKER_HOST` overrides its endpoint;
/// without either, the Docker context or the local socket is used, as the
/// docker CLI would. TLS for `tcp://` follows `DOCKER_TLS_VERIFY` and
/// `DOCKER_CERT_PATH`, as for `DOCKER_HOST`.
pub fn declared(project: &Project, name: &str, docker: &DockerEnvironment) -> Result<Target> {
    let environments = &project.manifest.environments;
    let Some(env) = environments.get(name) else {
        return Err(project::Error::UnknownEnvironment {
            name: name.to_owned(),
            known: environments.keys().cloned().collect(),
        }
        .into());
    };
    let endpoint = match (&docker.host, env.endpoint()) {
        (None, Some(endpoint)) => {
            let tls = docker.tls_verify.then(|| {
                TlsFiles::in_dir(docker.cert_path.as_deref().unwrap_or(&docker.config_dir))
            });
            Endpoint::parse(endpoint, tls)?
        }
        _ => Endpoint::resolve(docker)?,
    };
    Ok(Target {
        name: name.to_owned(),
        endpoint,
        registry: env.registry.clone(),
        repository: env.repository.clone(),
        stack_files: stack_files(project, &project.manifest.stack.files),
        variables: env.variables.clone(),
        history: History::of(&project.root, name),
    })
}

/// The lab's deploy history, in its state directory: it goes with the lab.
const LAB_HISTORY: &str = "deploys.jsonl";

/// The lab environment, from what the running lab says: its manager's
/// engine, its registry (images at `<registry>/<service>`), the stack files
/// with the manifest's `lab_files` after them, the lab's variables, and
/// the history in its state directory.
pub fn lab(project: &Project, found: Option<Lab>, name: &str) -> Result<Target> {
    let Some(lab) = found else {
        return Err(DeployError::NoLab {
            name: (name != crate::lab::DEFAULT_NAME).then(|| name.to_owned()),
        }
        .into());
    };
    let stack = &project.manifest.stack;
    let files: Vec<PathBuf> = stack
        .files
        .iter()
        .chain(&stack.lab_files)
        .cloned()
        .collect();
    Ok(Target {
        name: LAB.to_owned(),
        endpoint: Endpoint::parse(&lab.endpoint, None)?,
        registry: lab.registry,
        repository: String::new(),
        stack_files: stack_files(project, &files),
        variables: lab.variables,
        history: History::at(lab.state_dir.join(LAB_HISTORY)),
    })
}

/// The stack's namespace: `--project-name` when given, else `[stack] name`,
/// else the project's name.
pub fn namespace(project: &Project, explicit: Option<&str>) -> String {
    explicit
        .map(str::to_owned)
        .or_else(|| project.manifest.stack.name.clone())
        .unwrap_or_else(|| project.name.clone())
}

/// One of the manifest's `[stacks]`, by the name `--stack` gives.
#[derive(Debug, Clone, Copy)]
pub struct Other<'a> {
    /// Its name, which is its namespace.
    pub name: &'a str,
    /// What the manifest says of it.
    pub stack: &'a OtherStack,
}

/// The manifest's `[stacks.<name>]`, or the error that lists them.
pub fn other_stack<'a>(project: &'a Project, name: &'a str) -> Result<Other<'a>> {
    let stacks = &project.manifest.stacks;
    match stacks.get(name) {
        Some(stack) => Ok(Other { name, stack }),
        None => Err(DeployError::UnknownStack {
            name: name.to_owned(),
            known: stacks.keys().cloned().collect(),
        }
        .into()),
    }
}

impl Target {
    /// Deploys `other` instead of the app's stack: its files, with its
    /// `lab_files` after them on the lab.
    pub fn use_stack(&mut self, project: &Project, other: Other<'_>) {
        let lab = (self.name == LAB).then_some(&other.stack.lab_files);
        let files: Vec<PathBuf> = other
            .stack
            .files
            .iter()
            .chain(lab.into_iter().flatten())
            .cloned()
            .collect();
        self.stack_files = stack_files(project, &files);
    }
}

fn stack_files(project: &Project, files: &[PathBuf]) -> Vec<PathBuf> {
    files.iter().map(|f| project.root.join(f)).collect()
}

/// Resolves `--env NAME`. For `lab`, the lab is looked for on the engine
/// the Docker environment selects (`DOCKER_HOST` names the engine the lab
/// runs on, not its manager).
pub async fn resolve(project: &Project, name: &str) -> Result<Target> {
    let docker = DockerEnvironment::from_process();
    if name != LAB || project.manifest.environments.contains_key(name) {
        return declared(project, name, &docker);
    }
    let host = engine::connect(&Endpoint::resolve(&docker)?).await?;
    let lab_name = crate::lab::name_from_env();
    let found = crate::lab::find(&host, &lab_name).await?.map(|info| Lab {
        endpoint: info.endpoint,
        registry: info.registry,
        variables: info.variables,
        state_dir: info.state_dir,
    });
    lab(project, found, &lab_name)
}

/// Connects to the target's engine; an engine that does not answer is
/// reported with the environment's name.
pub async fn connect(target: &Target) -> Result<bollard::Docker> {
    engine::connect(&target.endpoint)
        .await
        .map_err(|e| match e {
            engine::Error::Unavailable { endpoint, source } => DeployError::Unreachable {
                environment: target.name.clone(),
                endpoint,
                reason: engine::words(&source),
            }
            .into(),
            engine::Error::SshSocket { endpoint, source } => DeployError::Unreachable {
                environment: target.name.clone(),
                endpoint,
                reason: format!("cannot open a local socket for ssh ({source})"),
            }
            .into(),
            other => other.into(),
        })
}

#[cfg(test)]
mod tests;

//! The calls the deploy commands make into the lab, the stack reader and
//! Swarm, one function each, with the types they exchange as PLAN.md
//! gives them. Those modules are written on other branches: until they are
//! merged, each call here says that this build does not have that part,
//! and the types are the interface's, so the commands compile and their
//! own parts are tested. Merging replaces each body with its one call.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use bollard::Docker;
use bollard::models::ServiceSpec;
use serde::Serialize;

use super::Error as DeployError;
use super::target::Lab;
use crate::error::Result;
use crate::stack::StackPlan;
use crate::ui::progress::Progress;

/// How long to follow a rollout, and whether to follow it at all.
#[derive(Debug, Clone, Copy)]
pub struct FollowOptions {
    /// When to give up on convergence (a failed deploy).
    pub timeout: Duration,
    /// Return once Swarm has accepted the specs.
    pub detach: bool,
}

/// What a deploy did to every service, checked against what was asked.
#[derive(Debug, Clone, Serialize)]
pub struct DeployReport {
    /// One per service, in the order deployed.
    pub services: Vec<ServiceReport>,
}

impl DeployReport {
    /// Whether every service reached what was asked.
    pub fn succeeded(&self) -> bool {
        self.services
            .iter()
            .all(|s| !matches!(s.outcome, Outcome::Failed { .. }))
    }
}

impl fmt::Display for DeployReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for service in &self.services {
            writeln!(f, "{service}")?;
        }
        Ok(())
    }
}

/// One service after a deploy or update.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    /// Its full name, e.g. `voting_vote`.
    pub service: String,
    /// The image reference asked for.
    pub wanted: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Running tasks on the wanted image.
    pub running: u64,
    /// Replicas asked for.
    pub desired: u64,
    /// The images of its running tasks.
    pub serving: Vec<String>,
}

impl fmt::Display for ServiceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}/{} {}",
            self.service, self.outcome, self.running, self.desired, self.wanted
        )
    }
}

/// How a service's rollout ended.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The spec already was the one asked for: nothing rolled out.
    Unchanged,
    /// A new service, running as asked.
    Created,
    /// Updated and verified.
    Converged,
    /// Not what was asked: Swarm's state and words.
    Failed {
        /// e.g. `rollback_completed`, `paused`, `timeout`.
        state: String,
        /// What Swarm said.
        message: String,
    },
    /// Not followed (`--detach`).
    Detached,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Unchanged => f.write_str("unchanged"),
            Outcome::Created => f.write_str("created"),
            Outcome::Converged => f.write_str("converged"),
            Outcome::Failed { state, message } => write!(f, "FAILED ({state}: {message})"),
            Outcome::Detached => f.write_str("detached"),
        }
    }
}

/// The deploy lock of a stack, held until dropped.
#[derive(Debug)]
pub struct DeployLock;

/// What this build lacks until the branch that writes it is merged.
fn missing(part: &'static str) -> crate::Error {
    DeployError::NotBuiltIn { part }.into()
}

/// `lab::find(host, name)`, reduced to what a deploy needs.
pub async fn find_lab(_host: &Docker, _name: &str) -> Result<Option<Lab>> {
    Err(missing("the lab (lab::find)"))
}

/// `stack::load` then `stack::plan`: the stack files merged and
/// interpolated with `variables`, checked, as Engine API specs.
pub fn plan_stack(
    _files: Vec<PathBuf>,
    _variables: BTreeMap<String, String>,
    _namespace: &str,
) -> Result<StackPlan> {
    Err(missing("the stack reader (stack::load, stack::plan)"))
}

/// `swarm::lock::acquire(docker, stack, holder)`.
pub async fn lock(_docker: &Docker, _stack: &str, _holder: &str) -> Result<DeployLock> {
    Err(missing("the deploy lock (swarm::lock::acquire)"))
}

/// `swarm::deploy(docker, plan, only, opts, progress)`.
pub async fn deploy(
    _docker: &Docker,
    _plan: &StackPlan,
    _only: &[String],
    _opts: &FollowOptions,
    _progress: &Progress,
) -> Result<DeployReport> {
    Err(missing("the Swarm deploy (swarm::deploy)"))
}

/// `swarm::update_service(docker, full_name, mutate, force, opts, progress)`.
pub async fn update_service(
    _docker: &Docker,
    _full_name: &str,
    _mutate: impl FnOnce(&mut ServiceSpec),
    _force: bool,
    _opts: &FollowOptions,
    _progress: &Progress,
) -> Result<ServiceReport> {
    Err(missing("the Swarm update (swarm::update_service)"))
}

//! A read-only snapshot of a swarm: its nodes, a stack's services and the
//! tasks that say where each replica runs and how it is doing, in types of
//! our own so that `muelle status` renders them and `--json` prints them
//! without Engine API noise.
//!
//! Which tasks are kept: every task Swarm still wants (desired state up to
//! `running`), and for each slot (a replica number, or a node for a global
//! service) the most recent other task when it changed in the last
//! [`RECENT`] and tells something: it failed, was rejected or orphaned, or
//! it was last seen running on a node that is not ready now. So a rejected
//! image or the tasks a stopped node took down stay visible for a few
//! minutes, while the shut-down tasks of every finished update do not.

mod convert;
#[cfg(test)]
pub(crate) mod fixtures;
mod select;
mod warnings;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bollard::Docker;
use bollard::models::{NodeState, TaskState};
use bollard::query_parameters::{ListNodesOptions, ListServicesOptions, ListTasksOptions};
use serde::Serialize;
use time::OffsetDateTime;

use crate::engine::{Result, failed, label_filter};
use crate::stack::NAMESPACE_LABEL;

pub use convert::parse_time;
pub use warnings::{Warning, WarningKind};

/// How long an ended task stays in the snapshot: long enough to read why a
/// replica failed or where a stopped node's tasks were, short enough that
/// old history does not crowd the view.
pub const RECENT: Duration = Duration::from_secs(5 * 60);

/// Service label muelle sets to the tag it deployed (`sha-abc1234`), since
/// specs name images by digest only.
pub const VERSION_LABEL: &str = "muelle.version";

/// Nodes, services and the tasks worth showing, as one moment saw them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inventory {
    /// Every node of the swarm, managers first, then by hostname.
    pub nodes: Vec<NodeView>,
    /// The services read, by name.
    pub services: Vec<ServiceView>,
    /// The tasks kept (see the module doc), by service and slot.
    pub tasks: Vec<TaskView>,
}

/// One node of the swarm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeView {
    /// Swarm's node id.
    pub id: String,
    /// The node's hostname.
    pub hostname: String,
    /// Manager or worker.
    pub role: Role,
    /// Whether it is the managers' current leader.
    pub leader: bool,
    /// Whether the scheduler may place tasks on it.
    pub availability: Availability,
    /// What the managers see of it.
    pub state: NodeState,
    /// Why it is in that state, when Swarm says (e.g. `heartbeat failure`).
    pub message: Option<String>,
    /// The address other nodes reach it at.
    pub address: String,
    /// Its labels, which placement constraints use.
    pub labels: BTreeMap<String, String>,
    /// The Docker Engine version it runs.
    pub engine: Option<String>,
}

/// A node's part in the swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Keeps the swarm's state and schedules.
    Manager,
    /// Only runs tasks.
    Worker,
}

/// Whether the scheduler may place tasks on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    /// New tasks may be placed.
    Active,
    /// No new tasks; running ones stay.
    Pause,
    /// No tasks: running ones are moved away.
    Drain,
}

/// One service, with what Swarm wants of it and what runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceView {
    /// Swarm's service id.
    pub id: String,
    /// The full name, e.g. `voting_vote`.
    pub name: String,
    /// The name in the stack file, e.g. `vote`.
    pub short_name: String,
    /// The stack it belongs to, from its namespace label.
    pub stack: Option<String>,
    /// `replicated`, `global`, `replicated-job` or `global-job`.
    pub mode: Mode,
    /// Tasks Swarm wants running.
    pub desired: u64,
    /// Tasks running on a ready node.
    pub running: u64,
    /// The image the spec names, e.g. `registry/vote@sha256:…`.
    pub image: String,
    /// The tag deployed: the `muelle.version` label, else the tag in `image`.
    pub version: Option<String>,
    /// `sha256:` and 12 hex digits of the image digest, if pinned.
    pub digest: Option<String>,
    /// The last rolling update, if there was one.
    pub update: Option<UpdateView>,
    /// Published ports.
    pub ports: Vec<PortView>,
}

/// How a service places its tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// A number of replicas.
    Replicated,
    /// One task on every eligible node.
    Global,
    /// A number of tasks that run to completion.
    ReplicatedJob,
    /// One run-to-completion task on every eligible node.
    GlobalJob,
}

/// A service's `UpdateStatus`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateView {
    /// Where the update is.
    pub state: UpdateState,
    /// What Swarm says about it, e.g. why it paused.
    pub message: Option<String>,
}

/// The states of a rolling update, as the Engine API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateState {
    /// Tasks are being replaced.
    Updating,
    /// Stopped after a failure (Swarm's default `failure_action`).
    Paused,
    /// Every task runs the new spec.
    Completed,
    /// Going back to the previous spec.
    RollbackStarted,
    /// Stopped while going back.
    RollbackPaused,
    /// Back on the previous spec: the update failed.
    RollbackCompleted,
}

/// A published port.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortView {
    /// The port on the node (or the routing mesh).
    pub published: Option<u16>,
    /// The port in the container.
    pub target: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// `host` or `ingress`.
    pub mode: String,
}

/// One task: a replica's container on a node, at one version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskView {
    /// Swarm's task id.
    pub id: String,
    /// The service's full name.
    pub service: String,
    /// The replica number (replicated services).
    pub slot: Option<u64>,
    /// The node it was placed on, if it was.
    pub node_id: Option<String>,
    /// What Swarm wants of it.
    pub desired_state: TaskState,
    /// What it last reported.
    pub state: TaskState,
    /// When it reached that state (RFC 3339).
    pub since: Option<String>,
    /// What the state says about its health check, while it runs.
    pub health: Option<Health>,
    /// Why it failed or is held back (e.g. `No such image: …`).
    pub error: Option<String>,
    /// Swarm's note on the state (e.g. `started`).
    pub message: Option<String>,
    /// The image this task runs.
    pub image: String,
    /// `sha256:` and 12 hex digits of its image digest, if pinned.
    pub digest: Option<String>,
    /// Its tag: the tag in `image`, else the service's version when the
    /// task runs the service's current image.
    pub version: Option<String>,
}

/// A task's health, derived from its state: Swarm holds a task with a
/// health check in `starting` until the first check passes and replaces it
/// when checks fail, so a running task has passed. Whether a task has a
/// check cannot be read through bollard (its model names the spec's key
/// `HealthCheck`, the Engine sends `Healthcheck`), so a running task without
/// one shows as healthy too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Running: it passed its first health check, if it has one.
    Healthy,
    /// Waiting for its first passing check.
    Starting,
    /// Ended because its health check failed.
    Unhealthy,
}

impl TaskView {
    /// `voting_vote.2`, or `<service>.<node id>` for a global service, as
    /// `docker service ps` names tasks.
    pub fn name(&self) -> String {
        match (self.slot, &self.node_id) {
            (Some(slot), _) => format!("{}.{slot}", self.service),
            (None, Some(node)) => format!("{}.{}", self.service, short_id(node)),
            (None, None) => format!("{}.{}", self.service, short_id(&self.id)),
        }
    }
}

/// The first 12 characters of an id, as the docker CLI shows them.
pub fn short_id(id: &str) -> &str {
    &id[..id.len().min(12)]
}

impl Inventory {
    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&NodeView> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// Whether the task's node is there and ready.
    pub fn on_ready_node(&self, task: &TaskView) -> bool {
        task.node_id
            .as_deref()
            .and_then(|id| self.node(id))
            .is_some_and(|n| n.state == NodeState::READY)
    }
}

/// Reads the swarm's nodes and the services of stack `namespace` (every
/// service without one) with their tasks, from a manager's engine.
#[tracing::instrument(skip_all, fields(namespace))]
pub async fn read(docker: &Docker, namespace: Option<&str>) -> Result<Inventory> {
    let nodes = docker
        .list_nodes(None::<ListNodesOptions>)
        .await
        .map_err(failed("list the swarm's nodes"))?;
    let filters = namespace.map(|ns| label_filter(&[format!("{NAMESPACE_LABEL}={ns}")]));
    let services = docker
        .list_services(Some(ListServicesOptions {
            filters,
            status: Some(true),
        }))
        .await
        .map_err(failed("list the swarm's services"))?;
    let ids: Vec<String> = services.iter().filter_map(|s| s.id.clone()).collect();
    let tasks = if ids.is_empty() {
        Vec::new()
    } else {
        docker
            .list_tasks(Some(ListTasksOptions {
                filters: Some(HashMap::from([("service".to_owned(), ids)])),
            }))
            .await
            .map_err(failed("list the services' tasks"))?
    };
    Ok(convert::inventory(
        nodes,
        services,
        tasks,
        OffsetDateTime::now_utc(),
    ))
}

#[cfg(test)]
mod tests;

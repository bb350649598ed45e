//! `deploy:` of a service: how Swarm schedules, limits, restarts and
//! updates its tasks. Enum values are the ones Swarm accepts, so a typo is
//! an error here and not a rejected or silently defaulted deploy
//! (`docker stack config` lets a bad `failure_action` through).

use serde::Deserialize;

use super::ListOrDict;
use super::scalar::{Bytes, Count, NanoCpus, Nanos, Ratio};

/// `deploy:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// Replicated (a count of tasks) or global (one per node).
    pub mode: Option<DeployMode>,
    /// Tasks of a replicated service.
    pub replicas: Option<Count>,
    /// How the service's name resolves: a virtual IP or its tasks' addresses.
    pub endpoint_mode: Option<EndpointMode>,
    /// Where tasks may run.
    pub placement: Option<Placement>,
    /// CPU, memory and process limits and reservations.
    pub resources: Option<Resources>,
    /// When Swarm restarts a task that exited.
    pub restart_policy: Option<RestartPolicy>,
    /// How an update rolls out.
    pub update_config: Option<UpdateConfig>,
    /// How a rollback rolls out.
    pub rollback_config: Option<UpdateConfig>,
    /// Labels on the service (container labels are the service's `labels`).
    pub labels: Option<ListOrDict>,
}

/// `deploy.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeployMode {
    /// A fixed number of tasks.
    Replicated,
    /// One task on every node that matches the placement.
    Global,
}

/// `deploy.endpoint_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointMode {
    /// A virtual IP balanced by IPVS.
    Vip,
    /// DNS round robin over the tasks' addresses.
    Dnsrr,
}

/// `deploy.placement`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// `node.labels.x == y` and the like.
    #[serde(default)]
    pub constraints: Vec<String>,
    /// Spread tasks over the values of a node attribute.
    #[serde(default)]
    pub preferences: Vec<Preference>,
    /// At most this many tasks on one node.
    pub max_replicas_per_node: Option<Count>,
}

/// One placement preference.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    /// The attribute to spread over, e.g. `node.labels.zone`.
    pub spread: String,
}

/// `deploy.resources`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// At most this much.
    pub limits: Option<Limits>,
    /// Scheduled only where this much is free.
    pub reservations: Option<Reservations>,
}

/// `deploy.resources.limits`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// CPUs, e.g. `"0.50"`.
    pub cpus: Option<NanoCpus>,
    /// Memory, e.g. `256M`.
    pub memory: Option<Bytes>,
    /// Processes.
    pub pids: Option<Count>,
}

/// `deploy.resources.reservations`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reservations {
    /// CPUs, e.g. `"0.05"`.
    pub cpus: Option<NanoCpus>,
    /// Memory, e.g. `32M`.
    pub memory: Option<Bytes>,
}

/// `deploy.restart_policy`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestartPolicy {
    /// When to restart (`any` when absent).
    pub condition: Option<RestartCondition>,
    /// Time between restarts.
    pub delay: Option<Nanos>,
    /// Restarts before giving up (unlimited when absent).
    pub max_attempts: Option<Count>,
    /// How long a restart must run to count as a success.
    pub window: Option<Nanos>,
}

/// `deploy.restart_policy.condition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartCondition {
    /// Never.
    None,
    /// On a non-zero exit.
    OnFailure,
    /// On any exit.
    Any,
}

/// `deploy.update_config` and `deploy.rollback_config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateConfig {
    /// Tasks updated at once (1 when absent, as `docker stack deploy` sets).
    pub parallelism: Option<Count>,
    /// Time between batches.
    pub delay: Option<Nanos>,
    /// What Swarm does when a task fails (Swarm's default is `pause`).
    pub failure_action: Option<FailureAction>,
    /// How long a new task is watched for failure.
    pub monitor: Option<Nanos>,
    /// Failed tasks tolerated, as a fraction.
    pub max_failure_ratio: Option<Ratio>,
    /// Stop the old task first, or start the new one first.
    pub order: Option<UpdateOrder>,
}

/// `failure_action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureAction {
    /// Stop the update, leaving it half done.
    Pause,
    /// Go on with the next tasks.
    Continue,
    /// Roll back to the previous spec (not in `rollback_config`).
    Rollback,
}

/// `order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateOrder {
    /// The old task stops before the new one starts.
    StopFirst,
    /// The new task starts before the old one stops.
    StartFirst,
}

//! What in an inventory is not converged, one warning per thing: a node
//! that is not ready, a service short of replicas or in an update state
//! other than `completed`, tasks left on a node that is down, and failed or
//! rejected tasks whose replica has not been replaced by a running one.

use std::fmt;

use bollard::models::{NodeState, TaskState};
use serde::Serialize;

use super::convert::is_active;
use super::{Inventory, TaskView, UpdateState};

/// One thing that is not as Swarm was asked to have it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// What kind of thing, for scripts.
    pub kind: WarningKind,
    /// The node, service or task it is about.
    pub subject: String,
    /// A line for people.
    pub message: String,
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A node that is not ready.
    NodeDown,
    /// A service with fewer running tasks than desired.
    ReplicasMissing,
    /// A service whose last update is not `completed`.
    Update,
    /// A task last seen running on a node that is not ready.
    TaskOnDownNode,
    /// A failed or rejected task, its replica not running.
    TaskFailed,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Inventory {
    /// Everything not converged, nodes first, then services, then tasks.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut warnings = Vec::new();
        for node in self.nodes.iter().filter(|n| n.state != NodeState::READY) {
            let why = node
                .message
                .as_deref()
                .map_or_else(String::new, |m| format!(": {m}"));
            warnings.push(Warning {
                kind: WarningKind::NodeDown,
                subject: node.hostname.clone(),
                message: format!("node {} is {}{why}", node.hostname, node.state),
            });
        }
        for service in &self.services {
            if service.running < service.desired {
                warnings.push(Warning {
                    kind: WarningKind::ReplicasMissing,
                    subject: service.name.clone(),
                    message: format!(
                        "{}: {} of {} tasks running",
                        service.name, service.running, service.desired
                    ),
                });
            }
            let Some(update) = &service.update else {
                continue;
            };
            let what = match update.state {
                UpdateState::Completed => continue,
                UpdateState::Updating => "update in progress",
                UpdateState::Paused => "update paused",
                UpdateState::RollbackStarted => "update failed, rolling back",
                UpdateState::RollbackPaused => "update failed, rollback paused",
                UpdateState::RollbackCompleted => "update failed and was rolled back",
            };
            let said = update
                .message
                .as_deref()
                .map_or_else(String::new, |m| format!(": {m}"));
            warnings.push(Warning {
                kind: WarningKind::Update,
                subject: service.name.clone(),
                message: format!("{}: {what}{said}", service.name),
            });
        }
        for task in &self.tasks {
            if let Some(warning) = self.task_warning(task) {
                warnings.push(warning);
            }
        }
        warnings
    }

    fn task_warning(&self, task: &TaskView) -> Option<Warning> {
        let node = task.node_id.as_deref().and_then(|id| self.node(id));
        let on = node.map_or_else(String::new, |n| format!(" on {}", n.hostname));
        let reported_up = matches!(task.state, TaskState::RUNNING | TaskState::STARTING);
        if let Some(node) = node.filter(|n| n.state != NodeState::READY && reported_up) {
            return Some(Warning {
                kind: WarningKind::TaskOnDownNode,
                subject: task.name(),
                message: format!(
                    "{}{on}, which is {}: last reported {}{}",
                    task.name(),
                    node.state,
                    task.state,
                    task.since
                        .as_deref()
                        .map_or_else(String::new, |t| format!(" at {t}"))
                ),
            });
        }
        let failed = matches!(task.state, TaskState::FAILED | TaskState::REJECTED);
        if !failed || self.replica_runs(task) {
            return None;
        }
        Some(Warning {
            kind: WarningKind::TaskFailed,
            subject: task.name(),
            message: format!(
                "{} {}{on}: {}",
                task.name(),
                task.state,
                task.error
                    .as_deref()
                    .or(task.message.as_deref())
                    .unwrap_or("no reason given")
            ),
        })
    }

    /// Whether another task of the same replica runs on a ready node.
    fn replica_runs(&self, task: &TaskView) -> bool {
        self.tasks.iter().any(|other| {
            other.id != task.id
                && other.service == task.service
                && other.slot == task.slot
                && (task.slot.is_some() || other.node_id == task.node_id)
                && is_active(other)
                && other.state == TaskState::RUNNING
                && self.on_ready_node(other)
        })
    }
}

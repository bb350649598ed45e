//! The truth check of a rollout, from the service and its tasks as Swarm
//! reports them: how many tasks run the current spec with the image asked
//! for, which images the running tasks really have, and which tasks of the
//! current spec failed. An update state of `completed` alone proves nothing
//! (moby#28173): only the tasks do.

use std::collections::BTreeSet;

use bollard::models::{Service, Task, TaskSpec, TaskState};

use super::compare;

/// What the tasks of one service show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Check {
    /// The image asked for.
    pub wanted: String,
    /// Running tasks of the current spec with the image asked for.
    pub running: u64,
    /// The tasks Swarm wants: replicas, or one per eligible node.
    pub desired: u64,
    /// Images of running tasks (that Swarm keeps running) other than the
    /// one asked for: old versions still serving.
    pub stray: Vec<String>,
    /// The distinct images of the running tasks.
    pub serving: Vec<String>,
    /// Failed or rejected tasks of the current spec, newest last, with
    /// what Swarm said (`No such image: …`, `task: non-zero exit (1)`).
    pub failures: Vec<String>,
    /// What the newest failed task on the image asked for said, whatever
    /// its spec: after a rollback, the reason the new version failed.
    pub wanted_failure: Option<String>,
}

impl Check {
    /// Whether the service runs what was asked, as many times as asked.
    pub fn passed(&self) -> bool {
        self.stray.is_empty() && self.running >= self.desired
    }

    /// `1/2 running the new image` and what else still runs, for progress
    /// lines and timeout messages.
    pub fn summary(&self) -> String {
        let mut text = format!("{}/{} running the new image", self.running, self.desired);
        if !self.stray.is_empty() {
            text.push_str(&format!(", still running {}", self.stray.join(", ")));
        }
        if let Some(last) = self.failures.last() {
            text.push_str(&format!(", {} failed: {last}", self.failures.len()));
        }
        text
    }
}

/// Checks `service`'s tasks against the image `wanted`.
pub fn check(service: &Service, tasks: &[Task], wanted: &str) -> Check {
    let template = service.spec.as_ref().and_then(|s| s.task_template.as_ref());
    let up_to_date = |task: &Task| match (task.spec.as_ref(), template) {
        (Some(spec), Some(template)) => compare::same_task(spec, template),
        _ => false,
    };
    let mut check = Check {
        wanted: wanted.to_owned(),
        desired: desired(service, tasks),
        ..Check::default()
    };
    let mut serving = BTreeSet::new();
    let mut stray = BTreeSet::new();
    let mut failed: Vec<&Task> = Vec::new();
    let mut failed_wanted: Vec<&Task> = Vec::new();
    for task in tasks {
        let state = task.status.as_ref().and_then(|s| s.state);
        let image = task_image(task);
        let kept_running = task.desired_state == Some(TaskState::RUNNING);
        if kept_running && state == Some(TaskState::RUNNING) {
            serving.insert(image.to_owned());
            if !same_image(image, wanted) {
                stray.insert(image.to_owned());
            } else if up_to_date(task) {
                check.running += 1;
            }
        }
        if matches!(state, Some(TaskState::FAILED | TaskState::REJECTED)) {
            if up_to_date(task) {
                failed.push(task);
            }
            if same_image(image, wanted) {
                failed_wanted.push(task);
            }
        }
    }
    let by_time = |t: &&Task| t.status.as_ref().and_then(|s| s.timestamp.clone());
    failed.sort_by_key(by_time);
    failed_wanted.sort_by_key(by_time);
    check.failures = failed.into_iter().map(failure).collect();
    check.wanted_failure = failed_wanted.last().map(|t| failure(t));
    check.serving = serving.into_iter().collect();
    check.stray = stray.into_iter().collect();
    check
}

/// The tasks Swarm wants: its own count when it gave one (global services:
/// the eligible nodes), else the replicas.
fn desired(service: &Service, tasks: &[Task]) -> u64 {
    if let Some(count) = service
        .service_status
        .as_ref()
        .and_then(|s| s.desired_tasks)
    {
        return count;
    }
    let mode = service.spec.as_ref().and_then(|s| s.mode.as_ref());
    match mode.and_then(|m| m.replicated.as_ref()) {
        Some(replicated) => replicated.replicas.unwrap_or(1).max(0) as u64,
        // Global: one per node Swarm scheduled a task on.
        None => tasks
            .iter()
            .filter(|t| t.desired_state == Some(TaskState::RUNNING))
            .filter_map(|t| t.node_id.as_deref())
            .collect::<BTreeSet<_>>()
            .len() as u64,
    }
}

fn task_image(task: &Task) -> &str {
    task.spec.as_ref().map_or("", image)
}

/// The image a task spec names.
pub fn image(spec: &TaskSpec) -> &str {
    spec.container_spec
        .as_ref()
        .and_then(|c| c.image.as_deref())
        .unwrap_or("")
}

/// Whether a task's image is the one asked for: by digest when the
/// request names one (the same content under another name is the same
/// version), else by the whole name.
pub fn same_image(image: &str, wanted: &str) -> bool {
    match (digest(image), digest(wanted)) {
        (Some(have), Some(want)) => have == want,
        _ => image == wanted,
    }
}

/// The `sha256:…` part of `repo@sha256:…`.
pub fn digest(image: &str) -> Option<&str> {
    image.split_once('@').map(|(_, digest)| digest)
}

/// What a failed task says: its error, else its state's message.
fn failure(task: &Task) -> String {
    let status = task.status.as_ref();
    let err = status.and_then(|s| s.err.as_deref()).unwrap_or_default();
    let message = status
        .and_then(|s| s.message.as_deref())
        .unwrap_or_default();
    if err.is_empty() {
        message.to_owned()
    } else {
        err.to_owned()
    }
}

#[cfg(test)]
mod tests;

//! Following services after they were applied, until each has converged or
//! failed, with a progress line per service. Converged means Swarm's update
//! is over (or there was none) and the truth check passed; `paused`, every
//! `rollback_*` state (docker/cli#6752 calls `rollback_completed` a success;
//! muelle never does), tasks of the new spec failing again and again, and
//! the deadline are failures.

use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{Service, ServiceUpdateStatusStateEnum as UpdateState, Task};
use futures::future::try_join_all;

use super::apply::{Applied, Change};
use super::report::{Outcome, ServiceReport};
use super::verify::{self, Check};
use super::{FollowOptions, api};
use crate::error::swarm::Error;
use crate::ui::progress::Progress;

/// How often a followed service is looked at again.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Failed or rejected tasks of the new spec after which a rollout is given
/// up: a missing image makes Swarm reject new tasks forever, and a service
/// with no rollback configured restarts a crashing task forever.
const REPEATED_FAILURES: usize = 3;

/// What Swarm shows of one service at one moment.
struct Observed {
    service: Service,
    tasks: Vec<Task>,
}

/// Where a followed service stands.
enum Verdict {
    /// Still moving; the text says how far.
    Pending(String),
    /// Done and verified.
    Converged,
    /// Done and not what was asked.
    Failed { state: String, message: String },
}

/// Follows every applied service at once; one report each, in order.
pub async fn all(
    docker: &Docker,
    applied: &[Applied],
    options: &FollowOptions,
    progress: &Progress,
) -> Result<Vec<ServiceReport>, Error> {
    try_join_all(
        applied
            .iter()
            .map(|one| follow(docker, one, options.timeout, progress)),
    )
    .await
}

/// One look at every applied service, for a deploy that does not wait.
pub async fn snapshot(docker: &Docker, applied: &[Applied]) -> Result<Vec<ServiceReport>, Error> {
    let mut reports = Vec::new();
    for one in applied {
        let observed = observe(docker, &one.name).await?;
        let check = verify::check(&observed.service, &observed.tasks, &one.wanted);
        let outcome = match one.change {
            Change::Unchanged => Outcome::Unchanged,
            Change::Created | Change::Updated => Outcome::Detached,
        };
        reports.push(report(one, outcome, &check));
    }
    Ok(reports)
}

async fn follow(
    docker: &Docker,
    one: &Applied,
    timeout: Duration,
    progress: &Progress,
) -> Result<ServiceReport, Error> {
    let task = progress.task(match one.change {
        Change::Created => format!("starting {}", one.service),
        Change::Updated => format!("rolling out {}", one.service),
        Change::Unchanged => format!("checking {}", one.service),
    });
    let deadline = Instant::now() + timeout;
    // Why Swarm rolls back is said only while it does (`rollback_started`);
    // once done it says "rollback completed".
    let mut rollback_reason = None;
    loop {
        let observed = observe(docker, &one.name).await?;
        let status = observed.service.update_status.as_ref();
        if status.and_then(|s| s.state) == Some(UpdateState::ROLLBACK_STARTED) {
            rollback_reason = status.and_then(|s| s.message.clone());
        }
        let check = verify::check(&observed.service, &observed.tasks, &one.wanted);
        let verdict = match judge(
            one.change,
            &observed.service,
            &check,
            rollback_reason.as_deref(),
        ) {
            Verdict::Pending(status) if Instant::now() >= deadline => Verdict::Failed {
                state: "timeout".into(),
                message: format!("after {}s: {status}", timeout.as_secs()),
            },
            verdict => verdict,
        };
        match verdict {
            Verdict::Pending(status) => task.status(&status),
            Verdict::Converged => {
                task.done(&format!("{}/{}", check.running, check.desired));
                let outcome = match one.change {
                    Change::Created => Outcome::Created,
                    Change::Updated => Outcome::Converged,
                    Change::Unchanged => Outcome::Unchanged,
                };
                return Ok(report(one, outcome, &check));
            }
            Verdict::Failed { state, message } => {
                task.fail();
                return Ok(report(one, Outcome::Failed { state, message }, &check));
            }
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Decides from the update state and the truth check. Swarm resets the
/// update state in the same write as the update (to none, or `updating`
/// once it rolls), so a state seen after muelle's update is that update's.
/// An unchanged service is judged by its tasks only: a `rollback_completed`
/// left from an earlier deploy does not fail a redeploy of the spec Swarm
/// rolled back to.
fn judge(
    change: Change,
    service: &Service,
    check: &Check,
    rollback_reason: Option<&str>,
) -> Verdict {
    let status = service.update_status.as_ref();
    let state = status.and_then(|s| s.state);
    let said = status
        .and_then(|s| s.message.as_deref())
        .unwrap_or_default();
    let mut message = rollback_reason.unwrap_or(said).to_owned();
    if let Some(failure) = &check.wanted_failure {
        message = format!("{message}; the new tasks said: {failure}");
    }
    let failed = |state: UpdateState| Verdict::Failed {
        state: state.to_string(),
        message: message.clone(),
    };
    match state {
        Some(state @ (UpdateState::PAUSED | UpdateState::ROLLBACK_PAUSED)) => failed(state),
        Some(state @ UpdateState::ROLLBACK_COMPLETED) if change != Change::Unchanged => {
            failed(state)
        }
        Some(UpdateState::ROLLBACK_STARTED) => {
            Verdict::Pending(format!("Swarm is rolling back: {said}"))
        }
        _ if !verify::same_image(spec_image(service), &check.wanted) => Verdict::Failed {
            state: "wrong image".into(),
            message: format!(
                "Swarm's spec now names {}: another deploy changed the service meanwhile",
                spec_image(service)
            ),
        },
        // While Swarm updates, its failure action (rollback, pause) decides.
        Some(UpdateState::UPDATING) => Verdict::Pending(format!("updating: {}", check.summary())),
        _ if check.failures.len() >= REPEATED_FAILURES => Verdict::Failed {
            state: "rejected".into(),
            message: format!(
                "{} tasks of the new spec failed, the last: {}",
                check.failures.len(),
                check
                    .failures
                    .last()
                    .map(String::as_str)
                    .unwrap_or_default()
            ),
        },
        _ if check.passed() => Verdict::Converged,
        _ => Verdict::Pending(check.summary()),
    }
}

fn spec_image(service: &Service) -> &str {
    service
        .spec
        .as_ref()
        .and_then(|s| s.task_template.as_ref())
        .map_or("", verify::image)
}

async fn observe(docker: &Docker, name: &str) -> Result<Observed, Error> {
    let service = api::service(docker, name)
        .await?
        .ok_or_else(|| Error::NoSuchService {
            service: name.to_owned(),
        })?;
    let id = service.id.clone().unwrap_or_default();
    let tasks = api::tasks(docker, &id, name).await?;
    Ok(Observed { service, tasks })
}

fn report(one: &Applied, outcome: Outcome, check: &Check) -> ServiceReport {
    ServiceReport {
        service: one.service.clone(),
        wanted: one.wanted.clone(),
        version: one.version.clone(),
        outcome,
        running: check.running,
        desired: check.desired,
        serving: check.serving.clone(),
    }
}

#[cfg(test)]
mod tests;

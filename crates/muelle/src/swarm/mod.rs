//! Deploying to a Docker Swarm truthfully: apply a stack plan (or one
//! service's new spec), follow every changed service until Swarm is done
//! with it, check the truth per task (the digest asked for, the replica
//! count), and report per service what is serving now. The exit code comes
//! from that report, never from Swarm accepting the update (DESIGN §9).
//! [`inventory`] reads what a stack on a cluster is made of and how it is
//! doing, for `muelle status`.

pub mod alerts;
pub mod api;
pub mod apply;
pub mod cleanup;
pub mod compare;
pub mod follow;
pub mod healthcheck;
pub mod inventory;
pub mod lock;
pub mod report;
pub mod verify;

use std::time::Duration;

use bollard::Docker;
use bollard::models::ServiceSpec;

pub use crate::error::swarm::Error;
pub use lock::DeployLock;
pub use report::{DeployReport, Outcome, ServiceReport};

use crate::stack::{NAMESPACE_LABEL, StackPlan};
use crate::ui::progress::Progress;
use apply::Applied;

/// How long a deploy follows its services by default: a rolling update of
/// two replicas takes about 30 s, a rollback after a failed health check
/// about 45 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// How a deploy waits for its services.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// How long to follow before a service that has not converged is FAILED.
    pub timeout: Duration,
    /// Return right after applying (`--detach`): nothing is followed or
    /// verified, and changed services are reported `Detached`.
    pub detach: bool,
}

impl Default for FollowOptions {
    fn default() -> FollowOptions {
        FollowOptions {
            timeout: DEFAULT_TIMEOUT,
            detach: false,
        }
    }
}

/// Deploys `plan` (only the services named in `only`, when it names any):
/// networks, secrets and configs first, then each service created or
/// updated, followed to convergence and verified; once every service
/// converged, the stack's secrets and configs no service uses are removed.
/// A rollout that failed is a FAILED service in the report, not an error.
#[tracing::instrument(skip_all, fields(stack = %plan.namespace))]
pub async fn deploy(
    docker: &Docker,
    plan: &StackPlan,
    only: &[String],
    options: &FollowOptions,
    progress: &Progress,
) -> Result<DeployReport, Error> {
    let selected = select(plan, only)?;
    let references = apply::objects(docker, plan, progress).await?;
    let mut applied = Vec::new();
    for (service, spec) in selected {
        let mut spec = spec.clone();
        apply::fill_references(&mut spec, &references)?;
        let (wanted, version) = apply::wanted(&spec);
        let name = spec.name.clone().unwrap_or_default();
        let change = apply::service(docker, spec, &references.networks, progress).await?;
        applied.push(Applied {
            service: service.clone(),
            name,
            change,
            wanted,
            version,
        });
    }
    let mut report = DeployReport {
        services: follow_or_snapshot(docker, &applied, options, progress).await?,
        removed: Vec::new(),
    };
    if !options.detach && report.succeeded() {
        report.removed = cleanup::unused(docker, &plan.namespace, progress).await?;
    }
    Ok(report)
}

/// Changes one running service (`muelle update`, `muelle rollback`):
/// `mutate` edits the spec Swarm holds, which is written back on top of the
/// version just read, then followed and verified like a deploy. `force`
/// rolls the tasks out even when nothing changed (a rolling restart).
#[tracing::instrument(skip_all, fields(service = %full_name))]
pub async fn update_service(
    docker: &Docker,
    full_name: &str,
    mutate: impl FnOnce(&mut ServiceSpec),
    force: bool,
    options: &FollowOptions,
    progress: &Progress,
) -> Result<ServiceReport, Error> {
    let current = api::service(docker, full_name)
        .await?
        .ok_or_else(|| Error::NoSuchService {
            service: full_name.to_owned(),
        })?;
    let mut desired = current.spec.clone().unwrap_or_default();
    if !has_label(&desired, healthcheck::LABEL) {
        return Err(Error::NotWrittenByMuelle {
            service: full_name.to_owned(),
        });
    }
    mutate(&mut desired);
    let (wanted, version) = apply::wanted(&desired);
    let networks = api::network_ids(docker).await?;
    let change = apply::write(docker, &current, desired, force, &networks, progress).await?;
    let applied = Applied {
        service: short_name(&current.spec.unwrap_or_default(), full_name),
        name: full_name.to_owned(),
        change,
        wanted,
        version,
    };
    let mut reports = follow_or_snapshot(docker, &[applied], options, progress).await?;
    Ok(reports.remove(0))
}

async fn follow_or_snapshot(
    docker: &Docker,
    applied: &[Applied],
    options: &FollowOptions,
    progress: &Progress,
) -> Result<Vec<ServiceReport>, Error> {
    if options.detach {
        follow::snapshot(docker, applied).await
    } else {
        follow::all(docker, applied, options, progress).await
    }
}

/// The plan's services named in `only` (all when it is empty), each name
/// checked against the stack.
fn select<'p>(
    plan: &'p StackPlan,
    only: &[String],
) -> Result<Vec<(&'p String, &'p ServiceSpec)>, Error> {
    for name in only {
        if !plan.services.contains_key(name) {
            return Err(Error::UnknownService {
                stack: plan.namespace.clone(),
                service: name.clone(),
                known: plan.services.keys().cloned().collect(),
            });
        }
    }
    Ok(plan
        .services
        .iter()
        .filter(|(name, _)| only.is_empty() || only.contains(name))
        .collect())
}

fn has_label(spec: &ServiceSpec, key: &str) -> bool {
    spec.labels.as_ref().is_some_and(|l| l.contains_key(key))
}

/// The name in the stack file: the full name without `<stack>_`.
fn short_name(spec: &ServiceSpec, full_name: &str) -> String {
    let stack = spec.labels.as_ref().and_then(|l| l.get(NAMESPACE_LABEL));
    stack
        .and_then(|stack| full_name.strip_prefix(&format!("{stack}_")))
        .unwrap_or(full_name)
        .to_owned()
}

#[cfg(test)]
mod tests;

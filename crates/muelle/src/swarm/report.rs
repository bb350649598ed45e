//! What a deploy did, per service, as Swarm's own state shows it after the
//! truth check: JSON for scripts, one line per service for people. A
//! service Swarm rolled back is FAILED here, whatever Swarm calls it.

use std::fmt;

use serde::Serialize;

/// How many hex digits of a digest a human line shows.
const SHORT_DIGEST: usize = 8;

/// The outcome of one deploy, update or rollback.
#[derive(Debug, Clone, Serialize)]
pub struct DeployReport {
    /// One entry per service deployed, in the stack's order.
    pub services: Vec<ServiceReport>,
    /// The stack's secrets and configs removed after the deploy because no
    /// service uses them any more (old content hashes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

/// What one service ended as.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    /// The service's name in the stack file (`vote`).
    pub service: String,
    /// The image asked for, `repo@sha256:…`.
    pub wanted: String,
    /// The version label asked for (`muelle.version`, e.g. `sha-1a2b3c4`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What happened.
    pub outcome: Outcome,
    /// Running tasks that are up to date and run the image asked for.
    pub running: u64,
    /// The tasks Swarm wants (replicas, or one per eligible node).
    pub desired: u64,
    /// The images of the tasks running now: the version serving.
    pub serving: Vec<String>,
}

/// How a service's rollout ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum Outcome {
    /// The spec was already Swarm's: nothing rolled out, and what runs
    /// passed the truth check.
    Unchanged,
    /// A new service, running and verified.
    Created,
    /// An update rolled out and verified.
    Converged,
    /// Not converged: Swarm paused or rolled back, tasks failed, the truth
    /// check failed, or the time ran out.
    Failed {
        /// Swarm's update state (`rollback_completed`, `paused`), or
        /// muelle's reason (`rejected`, `timeout`, `wrong image`).
        state: String,
        /// What Swarm or the tasks said.
        message: String,
    },
    /// Applied and not followed (`--detach`).
    Detached,
}

impl DeployReport {
    /// Whether every service ended where it was asked to (a detached one
    /// counts: nothing was claimed about it).
    pub fn succeeded(&self) -> bool {
        self.services
            .iter()
            .all(|s| !matches!(s.outcome, Outcome::Failed { .. }))
    }
}

impl From<ServiceReport> for DeployReport {
    fn from(service: ServiceReport) -> DeployReport {
        DeployReport {
            services: vec![service],
            removed: Vec::new(),
        }
    }
}

impl Outcome {
    /// One word for people: `converged`, `FAILED`, …
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Unchanged => "unchanged",
            Outcome::Created => "created",
            Outcome::Converged => "converged",
            Outcome::Failed { .. } => "FAILED",
            Outcome::Detached => "detached",
        }
    }
}

impl fmt::Display for DeployReport {
    /// One line per service, the names in a column:
    /// `vote  converged  2/2  registry/vote@sha256:abcd1234…  (sha-1a2b3c4)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.services.iter().map(|s| s.service.len()).max();
        for service in &self.services {
            let name = &service.service;
            let word = service.outcome.word();
            let width = width.unwrap_or(0);
            write!(f, "{name:<width$}  {word:<9}  ")?;
            match &service.outcome {
                Outcome::Failed { state, message } => {
                    write!(f, "{state}: {message:?}  serving: ")?;
                    if service.serving.is_empty() {
                        write!(f, "nothing")?;
                    }
                    let serving: Vec<String> = service.serving.iter().map(|s| short(s)).collect();
                    write!(f, "{}", serving.join(", "))?;
                }
                _ => {
                    let (running, desired) = (service.running, service.desired);
                    write!(f, "{running}/{desired}  {}", short(&service.wanted))?;
                    if let Some(version) = &service.version {
                        write!(f, "  ({version})")?;
                    }
                }
            }
            writeln!(f)?;
        }
        for removed in &self.removed {
            writeln!(f, "removed unused {removed}")?;
        }
        Ok(())
    }
}

/// `repo@sha256:abcd1234…` for an image named by digest; other names as
/// they are.
fn short(image: &str) -> String {
    match image.split_once("@sha256:") {
        Some((repo, hex)) if hex.len() > SHORT_DIGEST => {
            format!("{repo}@sha256:{}…", &hex[..SHORT_DIGEST])
        }
        _ => image.to_owned(),
    }
}

#[cfg(test)]
mod tests;

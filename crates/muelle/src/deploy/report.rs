//! The end of every deploy, update and rollback: the verdict from the truth
//! check, one line of history, the report for people or scripts, and the
//! exit status that follows from the verdict and nothing else.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Error as DeployError;
use super::history::{Command, Deployed, Entry, Outcome};
use super::target::Target;
use crate::error::Result;
use crate::project::Project;
use crate::release::git;
use crate::release::version::Stamp;
use crate::swarm::{DeployReport, Outcome as Rolled, ServiceReport};

/// What the end of a rollout needs besides Swarm's report.
pub struct Rollout<'a> {
    /// The project (whose git user and commit the history records).
    pub project: &'a Project,
    /// Where it went.
    pub target: &'a Target,
    /// The stack's namespace.
    pub stack: &'a str,
    /// What ran.
    pub command: Command,
    /// The services rolled out, by stack name.
    pub services: BTreeMap<String, Deployed>,
    /// Print JSON rather than lines for people.
    pub json: bool,
    /// `--detach`: Swarm has the specs, nothing was followed.
    pub detach: bool,
}

/// The report as `--json` prints it.
#[derive(Serialize)]
struct Printed<'a> {
    environment: &'a str,
    stack: &'a str,
    command: Command,
    history_id: u64,
    outcome: Outcome,
    summary: &'a str,
    services: &'a [ServiceReport],
}

/// Who holds the deploy lock while this process deploys.
pub fn holder(project: &Project, command: Command) -> String {
    format!(
        "{} (muelle {}, pid {})",
        git::user(&project.root),
        command.name(),
        std::process::id()
    )
}

/// One line: which services failed, what Swarm said and what serves now;
/// else what each service did.
pub fn summary(report: &DeployReport) -> String {
    let failed: Vec<String> = report
        .services
        .iter()
        .filter_map(|s| match &s.outcome {
            Rolled::Failed { state, message } => {
                let serving = if s.serving.is_empty() {
                    "nothing".to_owned()
                } else {
                    s.serving.join(", ")
                };
                Some(format!(
                    "{}: {state}: {message}; serving {serving}",
                    s.service
                ))
            }
            _ => None,
        })
        .collect();
    if !failed.is_empty() {
        return failed.join("; ");
    }
    let done: Vec<String> = report
        .services
        .iter()
        .map(|s| format!("{} {}", s.service, s.outcome.word()))
        .collect();
    if done.is_empty() {
        "no services".to_owned()
    } else {
        done.join(", ")
    }
}

/// Records the rollout in the environment's history, prints the report,
/// and fails unless the truth check passed.
pub fn finish(rollout: Rollout<'_>, report: &DeployReport) -> Result<()> {
    let outcome = if !report.succeeded() {
        Outcome::Failed
    } else if rollout.detach {
        Outcome::Detached
    } else {
        Outcome::Succeeded
    };
    let summary = summary(report);
    let history = &rollout.target.history;
    let id = history.append(Entry {
        id: 0,
        time: Stamp::now().rfc3339(),
        user: git::user(&rollout.project.root),
        commit: git::head(&rollout.project.root)
            .map(|c| c.sha)
            .unwrap_or_default(),
        command: rollout.command,
        services: rollout.services,
        outcome,
        summary: summary.clone(),
    })?;
    if rollout.json {
        let printed = Printed {
            environment: &rollout.target.name,
            stack: rollout.stack,
            command: rollout.command,
            history_id: id,
            outcome,
            summary: &summary,
            services: &report.services,
        };
        // Strings, numbers and enums of them always serialize.
        println!(
            "{}",
            serde_json::to_string_pretty(&printed).unwrap_or_default()
        );
    } else {
        print!("{report}");
        println!(
            "{} #{id} in {}",
            rollout.command.name(),
            history.path().display()
        );
    }
    if outcome == Outcome::Failed {
        return Err(DeployError::Failed {
            command: rollout.command.name(),
            stack: rollout.stack.to_owned(),
            environment: rollout.target.name.clone(),
            summary,
        }
        .into());
    }
    Ok(())
}

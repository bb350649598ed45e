//! `muelle reset [--yes] [--up]`: delete the app's data with the commands of
//! the manifest's `[[reset]]` (the thesis' cleanVotes.sh), touching nothing else.

use std::io::{BufRead, IsTerminal, Write};

use crate::cli::ResetArgs;
use crate::engine::containers::{self, Readiness};
use crate::error::{Error, Refusal, Result};
use crate::local;

use super::Ctx;

/// Asks (on a terminal) or requires `--yes`, starts what the reset commands
/// need, runs them, and with `--up` starts the whole app.
pub async fn run(args: ResetArgs, ctx: &Ctx) -> Result<()> {
    let mut project = ctx.project()?;
    if project.manifest.reset.is_empty() {
        return Err(Refusal::NothingToReset.into());
    }
    if !args.yes {
        confirm(&project.name)?;
    }
    let docker = ctx.docker().await?;
    let mut needed: Vec<String> = project
        .manifest
        .reset
        .iter()
        .map(|s| s.service.clone())
        .collect();
    needed.sort();
    needed.dedup();
    let mut missing = Vec::new();
    for service in &needed {
        let name = project.container_name(service);
        let running = containers::list(&docker, &project.filter())
            .await?
            .iter()
            .any(|c| c.name == name && c.state == "running");
        if !running || containers::readiness(&docker, &name).await? != Readiness::Ready {
            missing.push(service.clone());
        }
    }
    if !missing.is_empty() {
        ctx.progress.say(&format!(
            "starting {} to reset the data",
            missing.join(", ")
        ));
        local::up(&docker, &mut project, &missing, &ctx.progress).await?;
    }
    for step in &project.manifest.reset {
        let task = ctx
            .progress
            .task(format!("delete data in {}", step.service));
        task.status(&step.command.join(" "));
        let container = project.container_name(&step.service);
        match containers::exec(&docker, &step.service, &container, &step.command).await {
            Ok(_) => task.done("done"),
            Err(e) => {
                task.fail();
                return Err(e.into());
            }
        }
    }
    println!("the data of project {} is deleted", project.name);
    if !args.up && !missing.is_empty() {
        // Leave the project as it was: stop what was started only for this.
        local::down(&docker, &project, &missing, false, &ctx.progress).await?;
    }
    if args.up {
        let compose = project.compose()?;
        let targets = project.targets(&compose, &[])?;
        let specs = local::up(&docker, &mut project, &targets, &ctx.progress).await?;
        super::up::print_urls(&specs, &targets);
    }
    Ok(())
}

/// Asks on the terminal; refuses when there is none to ask on.
fn confirm(project: &str) -> Result<()> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Refusal::NoTerminal {
            command: "reset",
            deletes: "deletes all votes",
        }
        .into());
    }
    eprint!("Delete all votes of project {project}? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(Error::io("read the answer"))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Refusal::Cancelled { command: "reset" }.into())
    }
}

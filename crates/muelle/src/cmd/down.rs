//! `muelle down [TARGET…]`: stop and remove containers; volumes stay.

use crate::cli::DownArgs;
use crate::error::Result;
use crate::local;

use super::Ctx;

/// Removes the targets' containers; with no targets, the whole project but its volumes.
pub async fn run(args: DownArgs, ctx: &Ctx) -> Result<()> {
    let docker = ctx.docker().await?;
    let project = ctx.project()?;
    let compose = project.compose()?;
    let everything = args.targets.is_empty()
        || args
            .targets
            .iter()
            .any(|t| t == crate::project::manifest::ALL);
    let services = project.targets(&compose, &args.targets)?;
    let plan = local::down(&docker, &project, &services, everything, &ctx.progress).await?;
    if plan.0.is_empty() {
        ctx.progress
            .say(&format!("nothing to stop for project {}", project.name));
    }
    Ok(())
}

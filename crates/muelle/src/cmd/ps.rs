//! `muelle ps`: the project's containers, their state and published ports.

use crate::engine::containers;
use crate::error::Result;
use crate::project::SERVICE_LABEL;

use super::Ctx;

/// Prints one line per container.
pub async fn run(ctx: &Ctx) -> Result<()> {
    let docker = ctx.docker().await?;
    let project = ctx.project()?;
    let mut found = containers::list(&docker, &project.filter()).await?;
    if found.is_empty() {
        ctx.progress
            .say(&format!("no containers for project {}", project.name));
        return Ok(());
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    println!(
        "{:<10} {:<28} {:<30} PORTS",
        "SERVICE", "CONTAINER", "STATUS"
    );
    for c in found {
        let service = c.labels.get(SERVICE_LABEL).map_or("", String::as_str);
        println!(
            "{service:<10} {:<28} {:<30} {}",
            c.name,
            c.status,
            c.ports.join(", ")
        );
    }
    Ok(())
}

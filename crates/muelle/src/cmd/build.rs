//! `muelle build [SERVICE…]`: the services' images under their compose
//! names, labelled with the commit (revision), the short sha as version
//! (`-dirty` for a changed tree), the commit's time and the source: the
//! same labels `muelle push` gives, so a push after a build reuses it.

use std::path::Path;

use crate::cli::BuildArgs;
use crate::error::{Refusal, Result};
use crate::image::host_build;
use crate::project::{self, Project};
use crate::release::git;
use crate::release::log as release_log;
use crate::release::version;

use super::Ctx;

/// Builds the images and prints one line per service with its image.
pub async fn run(args: BuildArgs, ctx: &Ctx) -> Result<()> {
    let mut project = ctx.project()?;
    let services = selected(&project, &args.services)?;
    let commit = git::head(&project.root)?;
    let dirty = !git::changes(&project.root, Path::new(release_log::RELATIVE_PATH))?.is_empty();
    let labels = version::labels(&commit, dirty, project.manifest.project.source.as_deref());
    let docker = ctx.docker().await?;
    let replaced = host_build::build_services(
        &docker,
        &mut project,
        &services,
        &|_| labels.clone(),
        &ctx.progress,
    )
    .await?;
    for old in &replaced {
        crate::engine::images::remove_if_dangling(&docker, old).await?;
    }
    let compose = project.compose()?;
    for service in &services {
        let image = compose.services[service].image.clone().unwrap_or_default();
        println!("{service:<8} {image}");
    }
    Ok(())
}

/// The services named (default: all of `[services]`), each one muelle builds.
pub fn selected(project: &Project, names: &[String]) -> Result<Vec<String>> {
    let known = &project.manifest.services;
    if known.is_empty() {
        return Err(Refusal::NoServices.into());
    }
    if names.is_empty() {
        return Ok(known.keys().cloned().collect());
    }
    let mut out: Vec<String> = Vec::new();
    for name in names {
        if !known.contains_key(name) {
            return Err(project::Error::UnknownService {
                name: name.clone(),
                known: known.keys().cloned().collect(),
            }
            .into());
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    Ok(out)
}

//! `muelle up [TARGET…] [--watch]`: build what changed, start the targets
//! and their dependencies, wait until healthy, print the URLs.

use std::collections::BTreeMap;

use crate::cli::UpArgs;
use crate::error::Result;
use crate::local;
use crate::local::spec::ContainerSpec;

use super::Ctx;

/// Brings the targets up, then watches their sources if asked.
pub async fn run(args: UpArgs, ctx: &Ctx) -> Result<()> {
    let docker = ctx.docker().await?;
    let mut project = ctx.project()?;
    let compose = project.compose()?;
    let targets = project.targets(&compose, &args.targets)?;
    if args.watch {
        // The images are packaged with the watch profile's binaries too, so
        // its build is the only one watching needs.
        local::watch::use_watch_profile(&mut project);
    }
    let specs = local::up(&docker, &mut project, &targets, &ctx.progress).await?;
    print_urls(&specs, &targets);
    if args.watch {
        crate::local::watch::run(&docker, &mut project, &targets, &ctx.progress).await?;
    }
    Ok(())
}

/// One line per published port of the targets, e.g. `vote  http://localhost:5000`.
pub fn print_urls(specs: &BTreeMap<String, ContainerSpec>, targets: &[String]) {
    for service in targets {
        let Some(spec) = specs.get(service) else {
            continue;
        };
        for port in spec.published.iter().filter_map(|p| p.host_port) {
            println!("{service:<8} http://localhost:{port}");
        }
    }
}

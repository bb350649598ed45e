//! `muelle bases`: builds every offline base image of the manifest.

use crate::cli::BasesArgs;
use crate::error::Result;
use crate::image::bases;

use super::Ctx;

/// Builds the Debian image, then each recipe named in `[bases.images]`.
pub async fn run(args: BasesArgs, ctx: &Ctx) -> Result<()> {
    let docker = ctx.docker().await?;
    let project = ctx.project()?;
    let mut settings = project.manifest.bases.clone();
    if let Some(mirror) = args.mirror {
        settings.mirror = Some(mirror);
    }
    bases::ensure_debian(&docker, &settings, &ctx.progress, args.force).await?;
    let mut recipes: Vec<&String> = settings.images.values().collect();
    recipes.sort();
    recipes.dedup();
    for recipe in recipes {
        let tag = bases::ensure(
            &docker,
            &project.root,
            &settings,
            recipe,
            &ctx.progress,
            args.force,
        )
        .await?;
        println!("{tag}");
    }
    Ok(())
}

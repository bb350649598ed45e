//! `muelle rollback SERVICE --env ENV [--to VERSION]`: one service back to
//! the version before the one deployed now, or to any version of the
//! deploy history (Swarm itself keeps only one previous spec).

use crate::cli::RollbackArgs;
use crate::deploy::Error as DeployError;
use crate::deploy::history::{self, Command};
use crate::deploy::images::{Known, Pinned};
use crate::error::Result;
use crate::release::log as release_log;

use super::Ctx;
use super::update::One;

/// Rolls back, prints the report, and fails unless it reached the version asked.
pub async fn run(args: RollbackArgs, ctx: &Ctx) -> Result<()> {
    let one = One::resolve(ctx, &args.environment, &args.service).await?;
    let history = &one.target.history;
    let entries = history.read()?;
    let chosen = match &args.to {
        Some(version) => history::find(&entries, &args.service, version).ok_or_else(|| {
            DeployError::UnknownVersion {
                version: version.clone(),
                service: args.service.clone(),
                environment: one.target.name.clone(),
                path: history.path().to_owned(),
            }
        })?,
        None => history::previous(&entries, &args.service).ok_or_else(|| {
            DeployError::NoEarlierVersion {
                service: args.service.clone(),
                environment: one.target.name.clone(),
                path: history.path().to_owned(),
            }
        })?,
    };
    let (entry, deployed) = chosen;
    let releases = release_log::read(&release_log::path(&one.project.root))?;
    let known = Known {
        releases: &releases,
        history: &entries,
    };
    ctx.progress.say(&format!(
        "{}: back to {} ({}) of #{} at {}",
        args.service, deployed.tag, deployed.digest, entry.id, entry.time
    ));
    let pinned = Pinned {
        service: args.service.clone(),
        image: deployed.image.clone(),
        tag: deployed.tag.clone(),
        digest: deployed.digest.clone(),
        commit: known.commit(&one.target, &args.service, &deployed.tag),
    };
    one.roll(ctx, Command::Rollback, Some(&pinned), false, &args.follow)
        .await
}

//! `muelle update SERVICE --env ENV (--tag T | --digest D | --force)`: one
//! service of the stack rolled out to another image (by digest), or the
//! same one again, with the same truth check and history as a deploy.

use std::path::Path;
use std::sync::Mutex;

use crate::cli::{FollowArgs, UpdateArgs};
use crate::deploy::history::{Command, Deployed};
use crate::deploy::images::{self, Known, Pinned, StackImages};
use crate::deploy::report::{self, Rollout};
use crate::deploy::target::{self, Target};
use crate::error::Result;
use crate::project::{self, Project};
use crate::release::log as release_log;
use crate::release::{git, version};
use crate::swarm::{self, DeployReport, FollowOptions};

use super::Ctx;

/// Updates the service, prints the report, and fails unless it reached what was asked.
pub async fn run(args: UpdateArgs, ctx: &Ctx) -> Result<()> {
    let one = One::resolve(ctx, &args.environment, &args.service).await?;
    let pinned = if args.tag.is_some() || args.digest.is_some() {
        Some(pin(&one, args.tag.as_deref(), args.digest.as_deref()).await?)
    } else {
        None
    };
    one.roll(
        ctx,
        Command::Update,
        pinned.as_ref(),
        args.force,
        &args.follow,
    )
    .await
}

/// The image `--tag` (looked up in the registry) or `--digest` names, with
/// the tag and commit the release log and the history know for it.
async fn pin(one: &One, tag: Option<&str>, digest: Option<&str>) -> Result<Pinned> {
    if !one.stack.variables.contains_key(&one.service) {
        return Err(project::Error::UnknownService {
            name: one.service.clone(),
            known: one.stack.variables.keys().cloned().collect(),
        }
        .into());
    }
    let releases = release_log::read(&release_log::path(&one.project.root))?;
    let history = one.target.history.read()?;
    let known = Known {
        releases: &releases,
        history: &history,
    };
    let mut image = match tag {
        Some(tag) => {
            let (mut registry, _) = super::push::connect_registry(&one.target.destination())?;
            images::pin(&mut registry, &one.target, &one.service, tag).await?
        }
        None => {
            let digest = digest.unwrap_or_default();
            let tag = known
                .tag(&one.target, &one.service, digest)
                .unwrap_or_else(|| release_log::short_digest(digest).to_owned());
            images::by_digest(&one.target, &one.service, digest, &tag)?
        }
    };
    image.commit = head_commit(&one.project, &image.tag)
        .or_else(|| known.commit(&one.target, &one.service, &image.tag));
    Ok(image)
}

/// The commit of HEAD when `tag` is its sha tag, as `muelle push` made it.
fn head_commit(project: &Project, tag: &str) -> Option<String> {
    let commit = git::head(&project.root).ok()?;
    let dirty = !git::changes(&project.root, Path::new(release_log::RELATIVE_PATH))
        .ok()?
        .is_empty();
    (version::sha_tag(&commit, dirty) == tag).then_some(commit.sha)
}

/// One service of the stack on one environment, for `update` and `rollback`.
pub(super) struct One {
    pub project: Project,
    pub target: Target,
    pub stack: StackImages,
    pub service: String,
    pub namespace: String,
}

impl One {
    /// Resolves the environment and checks that the stack has the service.
    pub async fn resolve(ctx: &Ctx, environment: &str, service: &str) -> Result<One> {
        let project = ctx.project()?;
        let target = target::resolve(&project, environment).await?;
        let stack = StackImages::read(&project, &target.stack_files)?;
        stack.select(&[service.to_owned()])?;
        let namespace = target::namespace(&project, ctx.selection.project_name.as_deref());
        Ok(One {
            project,
            target,
            stack,
            service: service.to_owned(),
            namespace,
        })
    }

    /// Under the stack's lock, gives the service `pinned` (or, without,
    /// keeps its image), rolls it out (`force`: even unchanged), follows,
    /// checks, records and reports it.
    pub async fn roll(
        &self,
        ctx: &Ctx,
        command: Command,
        pinned: Option<&Pinned>,
        force: bool,
        follow: &FollowArgs,
    ) -> Result<()> {
        let docker = target::connect(&self.target).await?;
        let holder = report::holder(&self.project, command);
        let lock = swarm::lock::acquire(&docker, &self.namespace, &holder, command.name()).await?;
        let opts = FollowOptions {
            timeout: follow.timeout,
            detach: follow.detach,
        };
        let rolled: Mutex<Option<Deployed>> = Mutex::new(None);
        let full_name = format!("{}_{}", self.namespace, self.service);
        let service_report = swarm::update_service(
            &docker,
            &full_name,
            |spec| {
                if let Some(image) = pinned {
                    image.apply(spec);
                }
                *rolled.lock().unwrap_or_else(|e| e.into_inner()) = Some(images::deployed_in(spec));
            },
            force,
            &opts,
            &ctx.progress,
        )
        .await;
        lock.release().await?;
        let service_report = service_report?;
        let rolled = rolled.into_inner().unwrap_or_else(|e| e.into_inner());
        let rolled = rolled.or_else(|| pinned.map(Pinned::deployed));
        let rollout = Rollout {
            project: &self.project,
            target: &self.target,
            stack: &self.namespace,
            command,
            services: rolled
                .map(|d| (self.service.clone(), d))
                .into_iter()
                .collect(),
            json: follow.json,
            detach: follow.detach,
        };
        let deployed = DeployReport::from(service_report);
        report::finish(rollout, &deployed)
    }
}

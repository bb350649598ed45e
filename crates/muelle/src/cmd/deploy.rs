//! `muelle deploy --env ENV [--stack NAME] [SERVICE…]`: the stack (the
//! app's, or one of the manifest's `[stacks]`) to the environment's swarm,
//! each app image pinned by the digest its tag names in the environment's
//! registry, under the stack's deploy lock, followed until
//! it converged and checked; recorded in the deploy history.

use std::collections::BTreeMap;
use std::path::Path;

use crate::cli::DeployArgs;
use crate::deploy::history::Command;
use crate::deploy::images::{self, Known, StackImages};
use crate::deploy::report::{self, Rollout};
use crate::deploy::target::{self, Target};
use crate::error::Result;
use crate::release::git;
use crate::release::log as release_log;
use crate::release::version;
use crate::stack::{self, StackSource};
use crate::swarm::{self, FollowOptions};

use super::Ctx;

/// Deploys, prints the report, and fails unless every service reached what was asked.
pub async fn run(args: DeployArgs, ctx: &Ctx) -> Result<()> {
    let project = ctx.project()?;
    let other = args
        .stack
        .as_deref()
        .map(|name| target::other_stack(&project, name))
        .transpose()?;
    let mut target = target::resolve(&project, &args.environment).await?;
    let (stack, namespace) = match other {
        Some(other) => {
            target.use_stack(&project, other);
            (
                StackImages::read_other(&target.stack_files)?,
                other.name.to_owned(),
            )
        }
        None => (
            StackImages::read(&project, &target.stack_files)?,
            target::namespace(&project, ctx.selection.project_name.as_deref()),
        ),
    };
    let only = stack.select(&args.services)?;
    let commit = git::head(&project.root)?;
    let dirty = !git::changes(&project.root, Path::new(release_log::RELATIVE_PATH))?.is_empty();
    let head_tag = version::sha_tag(&commit, dirty);
    let tag = args.tag.unwrap_or_else(|| head_tag.clone());
    // The stack is read and checked before anything reaches the cluster,
    // with each app image named by its tag until it is pinned below.
    let tagged = stack.variables.keys().map(|service| {
        (
            service.as_str(),
            format!("{}:{tag}", target.image_name(service)),
        )
    });
    let source = StackSource {
        files: target.stack_files.clone(),
        variables: variables(&target, &stack, tagged),
    };
    let mut plan = stack::plan(&stack::load(&source)?, &namespace)?;
    let docker = target::connect(&target).await?;

    let (mut registry, _) = super::push::connect_registry(&target.destination())?;
    let releases = release_log::read(&release_log::path(&project.root))?;
    let history = target.history.read()?;
    let known = Known {
        releases: &releases,
        history: &history,
    };
    let mut pinned = Vec::new();
    for service in stack.variables.keys() {
        let mut image = images::pin(&mut registry, &target, service, &tag).await?;
        image.commit = if tag == head_tag {
            Some(commit.sha.clone())
        } else {
            known.commit(&target, service, &tag)
        };
        pinned.push(image);
    }
    for image in &pinned {
        if let Some(spec) = plan.services.get_mut(&image.service) {
            image.apply(spec);
        }
    }

    let holder = report::holder(&project, Command::Deploy);
    let lock = swarm::lock::acquire(&docker, &namespace, &holder, Command::Deploy.name()).await?;
    let opts = FollowOptions {
        timeout: args.follow.timeout,
        detach: args.follow.detach,
    };
    let deployed = swarm::deploy(&docker, &plan, &only, &opts, &ctx.progress).await;
    lock.release().await?;
    let deployed = deployed?;
    let chosen = |service: &String| only.is_empty() || only.contains(service);
    // An app stack records its pinned images; another stack, the image
    // each of its services names.
    let services = if args.stack.is_none() {
        pinned
            .iter()
            .filter(|p| chosen(&p.service))
            .map(|p| (p.service.clone(), p.deployed()))
            .collect()
    } else {
        plan.services
            .iter()
            .filter(|(service, _)| chosen(service))
            .map(|(service, spec)| (service.clone(), images::deployed_in(spec)))
            .collect()
    };
    let rollout = Rollout {
        project: &project,
        target: &target,
        stack: &namespace,
        command: Command::Deploy,
        services,
        json: args.follow.json,
        detach: args.follow.detach,
    };
    report::finish(rollout, &deployed)
}

/// The stack files' variables: this process's environment, then the
/// environment's own (the manifest's or the lab's), then the app images
/// (service and image), which nothing overrides.
fn variables<'a>(
    target: &Target,
    stack: &StackImages,
    images: impl Iterator<Item = (&'a str, String)>,
) -> BTreeMap<String, String> {
    let mut variables: BTreeMap<String, String> = std::env::vars().collect();
    variables.extend(target.variables.clone());
    for (service, image) in images {
        if let Some(name) = stack.variables.get(service) {
            variables.insert(name.clone(), image);
        }
    }
    variables
}

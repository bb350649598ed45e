//! `muelle push --env ENV [SERVICE…]`: build, tag with the date, the short
//! sha and `latest`, push with a bar per layer, and for prod append the
//! release to the log. Everything that can refuse (environment, services,
//! work tree, credentials, registry) is checked before anything is built.
//! The environment `lab` is the running lab's registry (`muelle lab up`).

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use crate::cli::PushArgs;
use crate::deploy::target;
use crate::error::{Error, Refusal, Result};
use crate::registry::Registry;
use crate::registry::credentials;
use crate::release::git::{self, Commit};
use crate::release::log as release_log;
use crate::release::publish::{self, Destination, PROD, PlanInput, Release};
use crate::release::version::Stamp;

use super::Ctx;

/// Pushes, then prints one line per service: its image, date tag and digest.
pub async fn run(args: PushArgs, ctx: &Ctx) -> Result<()> {
    let mut project = ctx.project()?;
    let destination = target::resolve(&project, &args.environment)
        .await?
        .destination();
    let services = super::build::selected(&project, &args.services)?;
    let commit = git::head(&project.root)?;
    let changes = git::changes(&project.root, Path::new(release_log::RELATIVE_PATH))?;
    let prod = destination.environment == PROD;
    if prod && !changes.is_empty() && !args.allow_dirty {
        return Err(Refusal::DirtyTree {
            first: changes[0].clone(),
            count: changes.len(),
            environment: PROD.to_owned(),
        }
        .into());
    }
    let message = if prod {
        Some(release_message(args.message, &commit, ctx)?)
    } else {
        None
    };
    let (mut registry, found) = connect_registry(&destination)?;
    let compose = project.compose()?;
    let log = release_log::path(&project.root);
    // The log knows every prod tag ever issued, also those since deleted.
    let logged = if prod {
        release_log::read(&log)?
    } else {
        Vec::new()
    };
    let mut locals = BTreeMap::new();
    let mut existing = BTreeMap::new();
    for service in &services {
        let image = compose.services[service].image.clone().unwrap_or_default();
        locals.insert(service.clone(), image);
        let repository = destination.repository(service);
        let mut tags = registry.tags(&repository).await?;
        tags.extend(release_log::issued_tags(
            &logged,
            &destination.registry,
            &repository,
        ));
        existing.insert(service.clone(), tags);
    }
    let created = Stamp::now();
    let plan = publish::plan(PlanInput {
        destination: &destination,
        services: &locals,
        existing: &existing,
        commit: &commit,
        dirty: !changes.is_empty(),
        created,
        source: project.manifest.project.source.as_deref(),
        latest: !args.no_latest,
        log: prod.then(|| log.clone()),
        prune: args.prune,
    });
    tracing::debug!(plan = %plan, "push");
    let pushed_by = git::user(&project.root);
    let release = message.as_deref().map(|message| Release {
        commit: &commit,
        dirty: !changes.is_empty(),
        message,
        time: created,
        pushed_by: &pushed_by,
    });
    let docker = ctx.docker().await?;
    let pushed = publish::execute(
        &docker,
        &mut project,
        &plan,
        found.as_ref(),
        &mut registry,
        release.as_ref(),
        &ctx.progress,
    )
    .await?;
    if release.is_some() {
        ctx.progress.say(&format!(
            "logged the release in {} (commit it with the code)",
            release_log::RELATIVE_PATH
        ));
    }
    for (image, pushed) in plan.images.iter().zip(&pushed) {
        println!(
            "{:<8} {}/{}:{} {}",
            image.service, destination.registry, image.repository, image.version, pushed.digest
        );
    }
    Ok(())
}

/// A registry client with the environment's credentials.
pub fn connect_registry(
    destination: &Destination,
) -> Result<(Registry, Option<credentials::Credentials>)> {
    let found = credentials::find(&destination.environment, &destination.registry)?;
    let hint = credentials::hint(
        &destination.environment,
        &destination.registry,
        &credentials::config_file(),
    );
    let registry = Registry::new(&destination.registry, found.clone(), hint)?;
    Ok((registry, found))
}

/// `--message`; else asked on a terminal (the commit's subject is the
/// default); else the commit's subject, said on stderr.
fn release_message(given: Option<String>, commit: &Commit, ctx: &Ctx) -> Result<String> {
    if let Some(message) = given {
        return Ok(message);
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        eprint!("Release message [{}]: ", commit.subject);
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(Error::io("read the release message"))?;
        let answer = answer.trim();
        return Ok(if answer.is_empty() {
            commit.subject.clone()
        } else {
            answer.to_owned()
        });
    }
    ctx.progress.say(&format!(
        "release message: {:?}, the commit's subject (pass --message to give one)",
        commit.subject
    ));
    Ok(commit.subject.clone())
}

//! `muelle push` as a plan, then its execution: the plan names every image,
//! tag and log line from the manifest, git and the registry's tags, and is
//! pure, so tests compare it as text; the executor builds, tags and pushes
//! through the Engine API with a bar per layer.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use bollard::Docker;

use crate::engine::images;
use crate::error::Result;
use crate::project::Project;
use crate::registry::Registry;
use crate::registry::credentials::Credentials;
use crate::release::git::Commit;
use crate::release::log::{self as release_log, Entry};
use crate::release::version::{self, LATEST, Stamp};
use crate::ui::progress::Progress;

/// The environment whose pushes are releases: logged, and only from a clean tree.
pub const PROD: &str = "prod";

/// Where an environment's images go.
#[derive(Debug, Clone)]
pub struct Destination {
    /// The environment's name, e.g. `dev`.
    pub environment: String,
    /// The registry host, e.g. `registry.example.com`.
    pub registry: String,
    /// The repository prefix, e.g. `team/dev_`.
    pub prefix: String,
}

impl Destination {
    /// The repository of a service in the registry, e.g. `team/dev_vote`.
    pub fn repository(&self, service: &str) -> String {
        format!("{}{service}", self.prefix)
    }
}

/// One service's image and the tags it gets.
#[derive(Debug, Clone)]
pub struct ImagePlan {
    /// The service.
    pub service: String,
    /// Its local image (the compose file's name), which the build makes.
    pub local: String,
    /// Its repository in the registry.
    pub repository: String,
    /// The date tag, unique to this push (the version label is the sha tag).
    pub version: String,
    /// Every tag to push, the date tag first.
    pub tags: Vec<String>,
    /// The OCI labels the build gives it, from the commit alone.
    pub labels: BTreeMap<String, String>,
}

/// Everything one `muelle push` does.
#[derive(Debug, Clone)]
pub struct PushPlan {
    /// Where to.
    pub destination: Destination,
    /// What, in order.
    pub images: Vec<ImagePlan>,
    /// The release log to append to (prod only).
    pub log: Option<PathBuf>,
    /// Remove the local registry names afterwards (`--prune`).
    pub prune: bool,
}

/// What a plan is made from.
pub struct PlanInput<'a> {
    /// Where to.
    pub destination: &'a Destination,
    /// Service → its local image.
    pub services: &'a BTreeMap<String, String>,
    /// Service → the tags its repository has now (for prod, with those the
    /// release log issued).
    pub existing: &'a BTreeMap<String, Vec<String>>,
    /// The commit built.
    pub commit: &'a Commit,
    /// Whether the work tree has changes.
    pub dirty: bool,
    /// The push's time; its UTC date starts the date tag (never in the image).
    pub created: Stamp,
    /// The manifest's `project.source`.
    pub source: Option<&'a str>,
    /// Move `latest` too.
    pub latest: bool,
    /// The release log to append to.
    pub log: Option<PathBuf>,
    /// `--prune`.
    pub prune: bool,
}

/// Decides the tags of every image.
pub fn plan(input: PlanInput<'_>) -> PushPlan {
    let date = input.created.date();
    let sha_tag = version::sha_tag(input.commit, input.dirty);
    let labels = version::labels(input.commit, input.dirty, input.source);
    let images = input
        .services
        .iter()
        .map(|(service, local)| {
            let existing = input.existing.get(service).map_or(&[][..], Vec::as_slice);
            let version = version::date_tag(&date, existing);
            let mut tags = vec![version.clone(), sha_tag.clone()];
            if input.latest {
                tags.push(LATEST.to_owned());
            }
            ImagePlan {
                service: service.clone(),
                local: local.clone(),
                repository: input.destination.repository(service),
                version,
                tags,
                labels: labels.clone(),
            }
        })
        .collect();
    PushPlan {
        destination: input.destination.clone(),
        images,
        log: input.log,
        prune: input.prune,
    }
}

impl fmt::Display for PushPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let registry = &self.destination.registry;
        for image in &self.images {
            let labels: Vec<String> = image
                .labels
                .iter()
                .map(|(k, v)| format!("{}={v}", k.trim_start_matches("org.opencontainers.image.")))
                .collect();
            writeln!(
                f,
                "build {} as {} with {}",
                image.service,
                image.local,
                labels.join(" ")
            )?;
            let tags = image.tags.join(" ");
            writeln!(f, "push {registry}/{}: {tags}", image.repository)?;
            if let Some(log) = &self.log {
                writeln!(
                    f,
                    "log {} {} in {}",
                    image.service,
                    image.version,
                    log.display()
                )?;
            }
            if self.prune {
                writeln!(f, "untag {registry}/{}: {tags}", image.repository)?;
            }
        }
        Ok(())
    }
}

/// One image as the registry stored it.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The service.
    pub service: String,
    /// The manifest digest.
    pub digest: String,
}

/// Builds, tags and pushes the plan's images; returns their digests. With
/// a release, each image is logged as soon as it is pushed, so a push that
/// fails half-way still logs what reached the registry.
#[tracing::instrument(skip_all, fields(environment = %plan.destination.environment, registry = %plan.destination.registry))]
pub async fn execute(
    docker: &Docker,
    project: &mut Project,
    plan: &PushPlan,
    credentials: Option<&Credentials>,
    registry: &mut Registry,
    release: Option<&Release<'_>>,
    progress: &Progress,
) -> Result<Vec<Pushed>> {
    let labels = |service: &str| {
        plan.images
            .iter()
            .find(|i| i.service == service)
            .map(|i| i.labels.clone())
            .unwrap_or_default()
    };
    let services: Vec<String> = plan.images.iter().map(|i| i.service.clone()).collect();
    let replaced =
        crate::image::host_build::build_services(docker, project, &services, &labels, progress)
            .await?;
    let host = plan.destination.registry.clone();
    let mut pushed = Vec::new();
    for image in &plan.images {
        let remote = format!("{host}/{}", image.repository);
        let mut digest = None;
        for tag in &image.tags {
            images::tag(docker, &image.local, &remote, tag).await?;
            let auth = credentials.map(|c| c.for_docker(&host));
            let found =
                crate::image::push::push_shown(docker, &remote, tag, auth, progress).await?;
            digest = digest.or(found);
        }
        let digest = match digest {
            Some(digest) => digest,
            None => registry
                .digest(&image.repository, &image.version)
                .await?
                .unwrap_or_default(),
        };
        let done = Pushed {
            service: image.service.clone(),
            digest,
        };
        if let (Some(log), Some(release)) = (&plan.log, release) {
            release_log::append(log, &[entry(plan, image, &done, release)])?;
        }
        pushed.push(done);
        if plan.prune {
            for tag in &image.tags {
                images::untag(docker, &format!("{remote}:{tag}")).await?;
            }
        }
    }
    for old in &replaced {
        images::remove_if_dangling(docker, old).await?;
    }
    Ok(pushed)
}

/// What the release log records beyond the plan.
pub struct Release<'a> {
    /// The commit built.
    pub commit: &'a Commit,
    /// Whether the work tree had changes.
    pub dirty: bool,
    /// Why.
    pub message: &'a str,
    /// When.
    pub time: Stamp,
    /// Who.
    pub pushed_by: &'a str,
}

/// The log line of one pushed image.
pub fn entry(plan: &PushPlan, image: &ImagePlan, pushed: &Pushed, release: &Release<'_>) -> Entry {
    Entry {
        service: image.service.clone(),
        environment: plan.destination.environment.clone(),
        registry: plan.destination.registry.clone(),
        repository: image.repository.clone(),
        tag: image.version.clone(),
        tags: image.tags.clone(),
        digest: pushed.digest.clone(),
        commit: release.commit.sha.clone(),
        dirty: release.dirty,
        message: release.message.to_owned(),
        time: release.time.rfc3339(),
        pushed_by: release.pushed_by.to_owned(),
    }
}

#[cfg(test)]
mod tests;

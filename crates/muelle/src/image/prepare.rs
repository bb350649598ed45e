//! The images a set of services needs, made ready before anything starts:
//! third-party images are found locally or pulled, images with an offline
//! recipe are resolved to their stand-ins, and the project's own services
//! are built on the host (see `host_build`), labelled with their commit.

use std::collections::BTreeMap;
use std::path::Path;

use bollard::Docker;

use super::Error as ImageError;
use super::host_build::build_services;
use super::resolve::{pull, resolve_variable};
use crate::engine::images;
use crate::error::Result;
use crate::project::Project;
use crate::release::log as release_log;
use crate::release::{git, version};
use crate::ui::progress::Progress;

/// The images of a set of services, ready to run.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Service → image id.
    pub ids: BTreeMap<String, String>,
    /// Ids of service images replaced by a rebuild, to remove once unused.
    pub replaced: Vec<String>,
}

/// The labels `muelle build` gives (revision, version, created, source),
/// when the project is a git repository with a commit; none otherwise.
fn commit_labels(project: &Project) -> BTreeMap<String, String> {
    let Ok(commit) = git::head(&project.root) else {
        return BTreeMap::new();
    };
    let dirty = git::changes(&project.root, Path::new(release_log::RELATIVE_PATH))
        .map_or(true, |changes| !changes.is_empty());
    version::labels(&commit, dirty, project.manifest.project.source.as_deref())
}

/// Makes every image of `services` available.
pub async fn prepare(
    docker: &Docker,
    project: &mut Project,
    services: &[String],
    progress: &Progress,
) -> Result<Prepared> {
    let (ours, theirs): (Vec<String>, Vec<String>) = services
        .iter()
        .cloned()
        .partition(|s| project.manifest.services.contains_key(s));
    // A service running a mounted host binary (`up --watch`) keeps the
    // image it has: the binary is not packaged again.
    let built: Vec<String> = ours
        .into_iter()
        .filter(|s| !project.watch_binaries.contains_key(s))
        .collect();
    for service in &theirs {
        for var in project.image_variables(service) {
            let default = project.compose()?.services[service]
                .image
                .clone()
                .unwrap_or_default();
            resolve_variable(docker, project, &var, &default, progress).await?;
        }
    }
    let mut replaced = if built.is_empty() {
        Vec::new()
    } else {
        let labels = commit_labels(project);
        build_services(docker, project, &built, &|_| labels.clone(), progress).await?
    };
    let compose = project.compose()?;
    let mut ids = BTreeMap::new();
    for service in services {
        let image = compose.services[service].image.clone().unwrap_or_default();
        let local = match images::inspect(docker, &image).await? {
            Some(local) => local,
            None => {
                pull(docker, &image, progress)
                    .await
                    .map_err(|source| ImageError::Unavailable {
                        image: image.clone(),
                        service: service.clone(),
                        source,
                    })?;
                images::inspect(docker, &image).await?.ok_or_else(|| {
                    ImageError::PullLeftNoImage {
                        image: image.clone(),
                    }
                })?
            }
        };
        ids.insert(service.clone(), local.id);
    }
    replaced.retain(|old| !ids.values().any(|id| id == old));
    Ok(Prepared { ids, replaced })
}

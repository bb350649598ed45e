//! The images a deploy rolls out, pinned by digest: each app service's tag
//! looked up in the environment's registry (never deployed as a moving
//! tag), the stack variable its `image:` names, and the labels that let
//! `status` say which version and commit a service runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bollard::models::ServiceSpec;

use super::Error as DeployError;
use super::history::{self, Deployed};
use super::target::Target;
use super::{COMMIT_LABEL, VERSION_LABEL};
use crate::error::Result;
use crate::project::{Project, interpolate};
use crate::registry::Registry;
use crate::release::log as release_log;

/// Label `docker stack deploy` gives a service, naming the image it asked for.
const STACK_IMAGE_LABEL: &str = "com.docker.stack.image";

/// One app service's image as it goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    /// The service, by its name in the stack.
    pub service: String,
    /// `<registry>/<repository><service>@sha256:…`.
    pub image: String,
    /// The tag it was chosen by (becomes `muelle.version`).
    pub tag: String,
    /// The manifest digest.
    pub digest: String,
    /// The commit it was built from, when known (becomes `muelle.commit`).
    pub commit: Option<String>,
}

impl Pinned {
    /// What the history records of it.
    pub fn deployed(&self) -> Deployed {
        Deployed {
            image: self.image.clone(),
            tag: self.tag.clone(),
            digest: self.digest.clone(),
        }
    }

    /// Gives a service spec this image and its version labels; the image
    /// label `docker stack deploy` sets is kept in step when the spec has it.
    pub fn apply(&self, spec: &mut ServiceSpec) {
        let container = spec
            .task_template
            .get_or_insert_with(Default::default)
            .container_spec
            .get_or_insert_with(Default::default);
        container.image = Some(self.image.clone());
        self.label(spec);
    }

    /// Adds `muelle.version` and `muelle.commit` to a spec's labels.
    fn label(&self, spec: &mut ServiceSpec) {
        let labels = spec.labels.get_or_insert_with(Default::default);
        labels.insert(VERSION_LABEL.to_owned(), self.tag.clone());
        match &self.commit {
            Some(commit) => labels.insert(COMMIT_LABEL.to_owned(), commit.clone()),
            None => labels.remove(COMMIT_LABEL),
        };
        if let Some(image) = labels.get_mut(STACK_IMAGE_LABEL) {
            image.clone_from(&self.image);
        }
    }
}

/// What a service spec runs: its image, the tag it was labelled with, and
/// the digest its reference pins (empty when it pins none).
pub fn deployed_in(spec: &ServiceSpec) -> Deployed {
    let image = spec
        .task_template
        .as_ref()
        .and_then(|t| t.container_spec.as_ref())
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let digest = image
        .split_once('@')
        .map(|(_, d)| d.to_owned())
        .unwrap_or_default();
    let tag = spec
        .labels
        .as_ref()
        .and_then(|l| l.get(VERSION_LABEL))
        .cloned()
        .unwrap_or_default();
    Deployed { image, tag, digest }
}

/// Looks `tag` up in the target's registry: the service's image by digest,
/// or the one-line error that says to push it.
pub async fn pin(
    registry: &mut Registry,
    target: &Target,
    service: &str,
    tag: &str,
) -> Result<Pinned> {
    let repository = format!("{}{service}", target.repository);
    match registry.digest(&repository, tag).await? {
        Some(digest) => Ok(Pinned {
            service: service.to_owned(),
            image: format!("{}@{digest}", target.image_name(service)),
            tag: tag.to_owned(),
            digest,
            commit: None,
        }),
        None => Err(DeployError::MissingTag {
            service: service.to_owned(),
            tag: tag.to_owned(),
            repository: target.image_name(service),
            environment: target.name.clone(),
        }
        .into()),
    }
}

/// A service's image by a digest given on the command line.
pub fn by_digest(target: &Target, service: &str, digest: &str, tag: &str) -> Result<Pinned> {
    let hex = digest.strip_prefix("sha256:").unwrap_or_default();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DeployError::BadDigest {
            given: digest.to_owned(),
        }
        .into());
    }
    Ok(Pinned {
        service: service.to_owned(),
        image: format!("{}@{digest}", target.image_name(service)),
        tag: tag.to_owned(),
        digest: digest.to_owned(),
        commit: None,
    })
}

/// What is known of a version besides the registry: the release log and
/// the deploy history, for the tag of a digest and the commit of a tag.
pub struct Known<'a> {
    /// The release log's entries.
    pub releases: &'a [release_log::Entry],
    /// The environment's deploy history.
    pub history: &'a [history::Entry],
}

impl Known<'_> {
    /// The commit `tag` of `service` was built from: the release log's, else
    /// the deploy history's.
    pub fn commit(&self, target: &Target, service: &str, tag: &str) -> Option<String> {
        let repository = format!("{}{service}", target.repository);
        let released = self.releases.iter().rev().find(|e| {
            e.registry == target.registry
                && e.repository == repository
                && e.tags.iter().any(|t| t == tag)
        });
        released.map(|e| e.commit.clone()).or_else(|| {
            self.history
                .iter()
                .rev()
                .filter(|e| e.services.get(service).is_some_and(|d| d.tag == tag))
                .map(|e| e.commit.clone())
                .next()
        })
    }

    /// A tag naming `digest` of `service`: the history's, else the release
    /// log's; `None` when neither knows it.
    pub fn tag(&self, target: &Target, service: &str, digest: &str) -> Option<String> {
        let repository = format!("{}{service}", target.repository);
        self.history
            .iter()
            .rev()
            .filter_map(|e| e.services.get(service))
            .find(|d| d.digest == digest && !d.tag.is_empty())
            .map(|d| d.tag.clone())
            .or_else(|| {
                self.releases
                    .iter()
                    .rev()
                    .find(|e| {
                        e.registry == target.registry
                            && e.repository == repository
                            && e.digest == digest
                    })
                    .map(|e| e.tag.clone())
            })
    }
}

/// What the stack files say before interpolation: every service, and for
/// the app services (those the manifest builds) the one variable each
/// one's `image:` names; a later file's `image:` wins, as the merge does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackImages {
    /// Every service of the stack files.
    pub services: Vec<String>,
    /// App service → the variable its image is set by, e.g. `VOTE_IMAGE`.
    pub variables: BTreeMap<String, String>,
}

impl StackImages {
    /// Reads the app's stack files; each must exist.
    pub fn read(project: &Project, files: &[PathBuf]) -> Result<StackImages> {
        let images = images_by_service(files)?;
        let mut variables = BTreeMap::new();
        for service in project.manifest.services.keys() {
            let Some(Some((path, image))) = images.get(service) else {
                continue;
            };
            let names = interpolate::names(image);
            let whole = image.trim().starts_with("${") && image.trim().ends_with('}');
            match names.as_slice() {
                [name] if whole => {
                    variables.insert(service.clone(), name.clone());
                }
                _ => {
                    return Err(DeployError::ImageNotVariable {
                        path: path.clone(),
                        service: service.clone(),
                        image: image.clone(),
                        suggested: format!("{}_IMAGE", service.to_uppercase().replace('-', "_")),
                    }
                    .into());
                }
            }
        }
        if variables.is_empty() {
            let list = |items: Vec<String>| items.join(", ");
            return Err(DeployError::NoAppServices {
                files: list(files.iter().map(|f| f.display().to_string()).collect()),
                services: list(project.manifest.services.keys().cloned().collect()),
            }
            .into());
        }
        Ok(StackImages {
            services: images.into_keys().collect(),
            variables,
        })
    }

    /// Reads the files of a stack that has no app service (`--stack`): its
    /// images all come from its variables; each file must exist.
    pub fn read_other(files: &[PathBuf]) -> Result<StackImages> {
        Ok(StackImages {
            services: images_by_service(files)?.into_keys().collect(),
            variables: BTreeMap::new(),
        })
    }

    /// The services named on the command line (none: every one), each checked.
    pub fn select(&self, names: &[String]) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for name in names {
            if !self.services.contains(name) {
                return Err(DeployError::UnknownService {
                    name: name.clone(),
                    known: self.services.clone(),
                }
                .into());
            }
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
        Ok(out)
    }
}

/// Every service of the stack files with the last `image:` written for
/// it and the file that wrote it.
fn images_by_service(files: &[PathBuf]) -> Result<BTreeMap<String, Option<(PathBuf, String)>>> {
    let mut images: BTreeMap<String, Option<(PathBuf, String)>> = BTreeMap::new();
    for file in files {
        for (service, image) in stack_images(file)? {
            let entry = images.entry(service).or_default();
            if let Some(image) = image {
                *entry = Some((file.clone(), image));
            }
        }
    }
    Ok(images)
}

/// The services of one stack file, each with its `image:` as written.
fn stack_images(path: &Path) -> Result<Vec<(String, Option<String>)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DeployError::NoStackFile {
                path: path.to_owned(),
            }
            .into());
        }
        Err(e) => return Err(crate::Error::io(format!("read {}", path.display()))(e)),
    };
    let value: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| DeployError::StackFile {
            path: path.to_owned(),
            problem: e.to_string(),
        })?;
    let Some(services) = value.get("services").and_then(|s| s.as_mapping()) else {
        return Ok(Vec::new());
    };
    Ok(services
        .iter()
        .filter_map(|(name, service)| {
            let image = service.get("image").and_then(|i| i.as_str());
            Some((name.as_str()?.to_owned(), image.map(str::to_owned)))
        })
        .collect())
}

#[cfg(test)]
mod tests;

//! The project muelle works on: the manifest, its compose file read with the
//! variables muelle sets, the Docker names and labels of everything it owns,
//! and targets resolved to services in start order.

pub mod compose;
pub mod duration;
pub mod interpolate;
pub mod manifest;

pub use crate::error::project::Error;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::error::project::Error as ProjectError;
use compose::ComposeFile;
use manifest::{ALL, Manifest};

/// Label compose puts on everything of a project; muelle uses it too, so
/// `docker compose -p <name>` and muelle see the same objects.
pub const PROJECT_LABEL: &str = "com.docker.compose.project";
/// Label naming the compose service of a container.
pub const SERVICE_LABEL: &str = "com.docker.compose.service";
/// Label marking what muelle created, with the project name as value.
pub const MUELLE_LABEL: &str = "muelle.project";
/// Label holding the hash of the container's configuration, to spot changes.
pub const CONFIG_HASH_LABEL: &str = "muelle.config-hash";

/// How the command line selects the project.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// An explicit manifest path.
    pub manifest: Option<PathBuf>,
    /// Overrides the manifest's project name (names of containers, networks, volumes).
    pub project_name: Option<String>,
    /// Extra `key=value` labels for everything muelle creates.
    pub labels: Vec<String>,
    /// Refuse to install missing host tools (debootstrap) with apt-get.
    pub no_install: bool,
}

/// A loaded project.
#[derive(Debug, Clone)]
pub struct Project {
    /// The folder of the manifest; relative paths start here.
    pub root: PathBuf,
    /// The manifest.
    pub manifest: Manifest,
    /// The project name used for Docker objects.
    pub name: String,
    /// Extra labels from the command line.
    pub extra_labels: BTreeMap<String, String>,
    /// Variables muelle sets for the compose file (local stand-in images).
    pub overrides: BTreeMap<String, String>,
    /// Strip debug info from host builds: `--watch` packages unoptimised
    /// binaries, and their debug info is ten times the code.
    pub strip_debuginfo: bool,
    /// Services that run a binary built on the host, mounted over the
    /// image's own (`up --watch`), by the binary's path: a rebuild then
    /// only needs a restart, not a new image.
    pub watch_binaries: BTreeMap<String, PathBuf>,
    compose_path: PathBuf,
    compose_text: String,
}

impl Project {
    /// Finds and reads the manifest and its compose file.
    pub fn load(selection: &Selection, cwd: &Path) -> Result<Project> {
        let path = manifest::locate(selection.manifest.as_deref(), cwd)?;
        let mut manifest = Manifest::load(&path)?;
        manifest.bases.may_install = !selection.no_install;
        let root = path
            .parent()
            .map(Path::to_owned)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| cwd.to_owned());
        let name = selection
            .project_name
            .clone()
            .unwrap_or_else(|| manifest.project.name.clone());
        manifest::check_name("project name", &name).map_err(|message| ProjectError::Manifest {
            path: path.clone(),
            problem: message,
        })?;
        let mut extra_labels = BTreeMap::new();
        for label in &selection.labels {
            let (k, v) = label.split_once('=').unwrap_or((label, ""));
            if k.is_empty() {
                return Err(ProjectError::BadLabel {
                    label: label.clone(),
                }
                .into());
            }
            extra_labels.insert(k.to_owned(), v.to_owned());
        }
        let compose_path = root.join(&manifest.project.compose);
        let compose_text = std::fs::read_to_string(&compose_path)
            .map_err(crate::Error::io(format!("read {}", compose_path.display())))?;
        let project = Project {
            root,
            manifest,
            name,
            extra_labels,
            overrides: BTreeMap::new(),
            strip_debuginfo: false,
            watch_binaries: BTreeMap::new(),
            compose_path,
            compose_text,
        };
        let compose = project.compose()?;
        project.check_manifest_against(&compose, &path)?;
        Ok(project)
    }

    fn check_manifest_against(&self, compose: &ComposeFile, path: &Path) -> Result<()> {
        let bad = |problem: String| -> crate::Error {
            ProjectError::Manifest {
                path: path.to_owned(),
                problem,
            }
            .into()
        };
        for name in self.manifest.services.keys() {
            if !compose.services.contains_key(name) {
                return Err(bad(format!(
                    "services.{name}: no such service in {}",
                    self.compose_path.display()
                )));
            }
        }
        for (group, members) in &self.manifest.groups {
            if let Some(m) = members.iter().find(|m| !compose.services.contains_key(*m)) {
                return Err(bad(format!(
                    "groups.{group}: no service `{m}` in {}",
                    self.compose_path.display()
                )));
            }
        }
        for (i, step) in self.manifest.reset.iter().enumerate() {
            if !compose.services.contains_key(&step.service) {
                return Err(bad(format!(
                    "reset[{i}].service: no service `{}`",
                    step.service
                )));
            }
        }
        Ok(())
    }

    /// The value of a variable as the compose file sees it.
    pub fn lookup(&self, name: &str) -> Option<String> {
        self.overrides
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    }

    /// The compose file, interpolated with the current variables.
    pub fn compose(&self) -> Result<ComposeFile> {
        compose::parse(&self.compose_text, &|name| self.lookup(name)).map_err(|problem| {
            ProjectError::Compose {
                path: self.compose_path.clone(),
                problem,
            }
            .into()
        })
    }

    /// The compose file's path.
    pub fn compose_path(&self) -> &Path {
        &self.compose_path
    }

    /// The variables named in a service's `image:` before interpolation.
    pub fn image_variables(&self, service: &str) -> Vec<String> {
        self.variables(service, "image")
    }

    /// The variables named under one key of a service, before interpolation
    /// (e.g. `VOTE_PORT` in `ports`), to tell users what to set.
    pub fn variables(&self, service: &str, key: &str) -> Vec<String> {
        fn strings(value: &serde_yaml_ng::Value, out: &mut Vec<String>) {
            match value {
                serde_yaml_ng::Value::String(s) => out.push(s.clone()),
                serde_yaml_ng::Value::Sequence(items) => items.iter().for_each(|i| strings(i, out)),
                serde_yaml_ng::Value::Mapping(map) => map.iter().for_each(|(_, v)| strings(v, out)),
                _ => {}
            }
        }
        let raw: Option<serde_yaml_ng::Value> = serde_yaml_ng::from_str(&self.compose_text).ok();
        let mut texts = Vec::new();
        if let Some(value) = raw
            .as_ref()
            .and_then(|v| v.get("services"))
            .and_then(|s| s.get(service))
            .and_then(|s| s.get(key))
        {
            strings(value, &mut texts);
        }
        texts
            .iter()
            .flat_map(|text| interpolate::names(text))
            .collect()
    }

    /// The container of a service, named as compose v2 names it.
    pub fn container_name(&self, service: &str) -> String {
        format!("{}-{service}-1", self.name)
    }

    /// A network's Docker name.
    pub fn network_name(&self, network: &str) -> String {
        format!("{}_{network}", self.name)
    }

    /// A named volume's Docker name.
    pub fn volume_name(&self, volume: &str) -> String {
        format!("{}_{volume}", self.name)
    }

    /// Labels on everything of this project.
    pub fn labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.extra_labels.clone();
        labels.insert(PROJECT_LABEL.into(), self.name.clone());
        labels.insert(MUELLE_LABEL.into(), self.name.clone());
        labels
    }

    /// The filter that finds this project's objects.
    pub fn filter(&self) -> Vec<String> {
        vec![format!("{PROJECT_LABEL}={}", self.name)]
    }

    /// Expands targets (services or groups; none means `all`) to services,
    /// in compose file order, without duplicates.
    pub fn targets(&self, compose: &ComposeFile, names: &[String]) -> Result<Vec<String>> {
        let all: Vec<String> = compose.services.keys().cloned().collect();
        if names.is_empty() {
            return Ok(all);
        }
        let mut chosen = BTreeSet::new();
        for name in names {
            if name == ALL {
                chosen.extend(all.iter().cloned());
            } else if let Some(members) = self.manifest.groups.get(name) {
                chosen.extend(members.iter().cloned());
            } else if compose.services.contains_key(name) {
                chosen.insert(name.clone());
            } else {
                let mut known: Vec<&str> = vec![ALL];
                known.extend(self.manifest.groups.keys().map(String::as_str));
                known.extend(all.iter().map(String::as_str));
                return Err(ProjectError::UnknownTarget {
                    name: name.clone(),
                    known: known.into_iter().map(str::to_owned).collect(),
                }
                .into());
            }
        }
        Ok(all.into_iter().filter(|s| chosen.contains(s)).collect())
    }
}

/// The services and everything they depend on, transitively.
pub fn with_dependencies(compose: &ComposeFile, services: &[String]) -> Vec<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<String> = services.to_vec();
    while let Some(name) = stack.pop() {
        if seen.insert(name.clone()) {
            if let Some(service) = compose.services.get(&name) {
                stack.extend(service.dependencies().into_iter().map(|(d, _)| d));
            }
        }
    }
    seen.into_iter().collect()
}

/// Groups services into start levels: each level depends only on earlier ones.
pub fn levels(compose: &ComposeFile, services: &[String]) -> Result<Vec<Vec<String>>, String> {
    let mut level: BTreeMap<&str, usize> = BTreeMap::new();
    let mut remaining: Vec<&str> = services.iter().map(String::as_str).collect();
    while !remaining.is_empty() {
        let before = remaining.len();
        remaining.retain(|name| {
            let deps = compose.services[*name].dependencies();
            let in_scope: Vec<&String> = deps
                .iter()
                .map(|(d, _)| d)
                .filter(|d| services.contains(d))
                .collect();
            if in_scope.iter().all(|d| level.contains_key(d.as_str())) {
                let l = in_scope
                    .iter()
                    .map(|d| level[d.as_str()] + 1)
                    .max()
                    .unwrap_or(0);
                level.insert(name, l);
                false
            } else {
                true
            }
        });
        if remaining.len() == before {
            return Err(format!(
                "depends_on has a cycle among {}",
                remaining.join(", ")
            ));
        }
    }
    let depth = level.values().max().map_or(0, |m| m + 1);
    let mut out = vec![Vec::new(); depth];
    for (name, l) in level {
        out[l].push(name.to_owned());
    }
    Ok(out)
}

//! `muelle.toml`, the project's manifest: which services muelle builds, how
//! they are grouped, where the compose file is, which third-party images
//! have offline stand-ins, what `reset` deletes, the Swarm stack, and the
//! registries and engines of the environments. Every table rejects unknown
//! keys, naming them and the line.

mod environments;

pub use environments::{Environment, LAB, OtherStack, Stack};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The file name muelle looks for, walking up from the working directory.
pub const FILE_NAME: &str = "muelle.toml";
/// The group every project has: all services of the compose file.
pub const ALL: &str = "all";

/// The whole manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Name and files of the project.
    pub project: Project,
    /// How muelle turns sources into images.
    #[serde(default)]
    pub build: Build,
    /// The services muelle builds from this workspace, by compose service name.
    #[serde(default)]
    pub services: BTreeMap<String, Service>,
    /// Named sets of services to use as targets, besides `all`.
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    /// Offline stand-ins for third-party images.
    #[serde(default)]
    pub bases: Bases,
    /// What `muelle reset` runs to delete the app's data, in order.
    #[serde(default)]
    pub reset: Vec<ExecStep>,
    /// The Swarm stack `muelle deploy` deploys.
    #[serde(default)]
    pub stack: Stack,
    /// Stacks deployed beside it with `muelle deploy --stack <name>`.
    #[serde(default)]
    pub stacks: BTreeMap<String, OtherStack>,
    /// Where images go and where the stack runs, per environment (`dev`, `prod`).
    #[serde(default)]
    pub environments: BTreeMap<String, Environment>,
}

/// `[project]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Names containers, networks and volumes, as compose's project name does.
    pub name: String,
    /// The compose file for local work, relative to the manifest.
    #[serde(default = "default_compose")]
    pub compose: PathBuf,
    /// Where the source lives; becomes the `org.opencontainers.image.source` label.
    pub source: Option<String>,
}

/// `[build]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// The cargo profile of host builds.
    #[serde(default = "default_profile")]
    pub profile: String,
    /// The cargo profile of `up --watch` rebuilds; an unoptimised build
    /// links in seconds, where a release build with LTO takes tens of them.
    pub watch_profile: Option<String>,
    /// The Dockerfile that packages a host-built binary (named `app` in its context).
    #[serde(default = "default_dockerfile")]
    pub dockerfile: PathBuf,
    /// The build argument (and compose variable) naming the runtime base image.
    #[serde(default = "default_runtime_arg")]
    pub runtime_arg: String,
    /// The runtime base image used when the variable is not set.
    #[serde(default = "default_runtime_image")]
    pub runtime_image: String,
    /// Where the packaging Dockerfile puts the binary in the image:
    /// `up --watch` mounts each new build there instead of packaging it.
    #[serde(default = "default_binary_path")]
    pub binary_path: PathBuf,
}

impl Default for Build {
    fn default() -> Build {
        Build {
            profile: default_profile(),
            watch_profile: None,
            dockerfile: default_dockerfile(),
            runtime_arg: default_runtime_arg(),
            runtime_image: default_runtime_image(),
            binary_path: default_binary_path(),
        }
    }
}

fn default_binary_path() -> PathBuf {
    PathBuf::from("/usr/local/bin/app")
}

/// `[services.<name>]`: a service whose image muelle builds from a cargo package.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The cargo package that holds the binary.
    pub package: String,
    /// The binary, when it is not named like the package.
    pub bin: Option<String>,
    /// Paths (relative to the manifest) whose changes rebuild this service in `up --watch`.
    #[serde(default)]
    pub watch: Vec<PathBuf>,
}

impl Service {
    /// The binary's name.
    pub fn bin(&self) -> &str {
        self.bin.as_deref().unwrap_or(&self.package)
    }
}

/// `[bases]`: how to build offline stand-ins for third-party images.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bases {
    /// The Debian mirror debootstrap and apt use (default: the host's own
    /// apt source for the suite, else deb.debian.org).
    #[serde(default)]
    pub mirror: Option<String>,
    /// The Debian release.
    #[serde(default = "default_suite")]
    pub suite: String,
    /// The folder of `<recipe>.Dockerfile` files and the files they copy (`<recipe>-*`).
    #[serde(default = "default_bases_dir")]
    pub dir: PathBuf,
    /// Compose variable naming a third-party image → the recipe of its stand-in.
    #[serde(default)]
    pub images: BTreeMap<String, String>,
    /// Not from the manifest: whether muelle may install debootstrap with
    /// apt-get when it is missing (`--no-install` refuses).
    #[serde(skip)]
    pub may_install: bool,
}

impl Default for Bases {
    fn default() -> Bases {
        Bases {
            mirror: None,
            suite: default_suite(),
            dir: default_bases_dir(),
            images: BTreeMap::new(),
            may_install: false,
        }
    }
}

/// One command run inside a running service's container.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecStep {
    /// The compose service to run it in.
    pub service: String,
    /// The command and its arguments, without a shell.
    pub command: Vec<String>,
}

fn default_compose() -> PathBuf {
    PathBuf::from("deploy/compose.yaml")
}
fn default_profile() -> String {
    "release".into()
}
fn default_dockerfile() -> PathBuf {
    PathBuf::from("deploy/docker/prebuilt.Dockerfile")
}
fn default_runtime_arg() -> String {
    "RUNTIME_IMAGE".into()
}
fn default_runtime_image() -> String {
    "gcr.io/distroless/cc-debian12:nonroot".into()
}
fn default_suite() -> String {
    "bookworm".into()
}
fn default_bases_dir() -> PathBuf {
    PathBuf::from("deploy/docker/bases")
}

impl Manifest {
    /// Reads and checks the manifest at `path`.
    pub fn load(path: &Path) -> Result<Manifest> {
        let text =
            std::fs::read_to_string(path).map_err(Error::io(format!("read {}", path.display())))?;
        Manifest::parse(&text).map_err(|problem| {
            super::Error::Manifest {
                path: path.to_owned(),
                problem,
            }
            .into()
        })
    }

    /// Parses and checks manifest text; the error names the line and key.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().replace('\n', " ");
            match e.span() {
                Some(span) => format!("line {}: {message}", line_of(text, span.start)),
                None => message,
            }
        })?;
        manifest.check(text)?;
        Ok(manifest)
    }

    fn check(&self, text: &str) -> Result<(), String> {
        check_name("project.name", &self.project.name)?;
        if self.groups.contains_key(ALL) {
            return Err(format!(
                "groups.{ALL}: `{ALL}` is every service and cannot be redefined"
            ));
        }
        for (name, members) in &self.groups {
            if members.is_empty() {
                return Err(format!("groups.{name}: a group needs at least one service"));
            }
        }
        for (name, service) in &self.services {
            if service.package.trim().is_empty() {
                return Err(format!("services.{name}.package: must not be empty"));
            }
        }
        for (var, recipe) in &self.bases.images {
            check_name(&format!("bases.images.{var}"), recipe)?;
        }
        for (i, step) in self.reset.iter().enumerate() {
            if step.command.is_empty() {
                return Err(format!("reset[{i}].command: must not be empty"));
            }
        }
        environments::check(self, text)
    }
}

/// The line (from 1) of a byte offset in the manifest's text.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Checks a name used in Docker object names: lowercase letters, digits, `-` and `_`.
pub fn check_name(key: &str, value: &str) -> Result<(), String> {
    let ok = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{key}: {value:?} must be lowercase letters, digits, `-` or `_`, starting with a letter or digit"
        ))
    }
}

/// Finds the manifest: `explicit` if given, else the nearest `muelle.toml` upwards from `start`.
pub fn locate(explicit: Option<&Path>, start: &Path) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            super::Error::ManifestNotFound {
                start: start.to_owned(),
            }
            .into()
        })
}

#[cfg(test)]
mod tests;

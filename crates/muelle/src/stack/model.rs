//! The stack file as `docker stack deploy` reads it: services, networks,
//! volumes, secrets and configs, in serde types of our own that reject
//! unknown keys and bad values (an enum value Swarm does not know, a
//! duration or size that is not one) while the file is read, so the error
//! names the key and its line.
//!
//! `x-` extension keys are dropped before these types see the file; `build`
//! and `depends_on` are accepted and ignored, as `docker stack deploy` does
//! (they are for plain `docker compose`).

mod deploy;
mod options;
mod parts;
pub mod scalar;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};
use serde_yaml_ng::Value;

pub use crate::project::compose::{ListOrDict, NetworkAttachment, Networks, StringOrList};
pub use deploy::*;
pub use options::*;
pub use parts::*;
use scalar::{Flag, Nanos};

/// A stack file, or several merged, after interpolation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackFile {
    /// Obsolete in the compose specification; accepted and ignored.
    pub version: Option<String>,
    /// Services by their name in the stack.
    #[serde(default)]
    pub services: BTreeMap<String, Service>,
    /// Overlay networks by their name in the stack.
    #[serde(default, deserialize_with = "null_is_default")]
    pub networks: BTreeMap<String, Network>,
    /// Named volumes by their name in the stack.
    #[serde(default, deserialize_with = "null_is_default")]
    pub volumes: BTreeMap<String, Volume>,
    /// Secrets by their name in the stack.
    #[serde(default, deserialize_with = "null_is_default")]
    pub secrets: BTreeMap<String, FileObject>,
    /// Configs by their name in the stack.
    #[serde(default, deserialize_with = "null_is_default")]
    pub configs: BTreeMap<String, FileObject>,
}

/// A top-level network.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// `overlay` when absent.
    pub driver: Option<String>,
    /// Options of the driver.
    #[serde(default)]
    pub driver_opts: BTreeMap<String, String>,
    /// Lets plain containers (`docker run --network`) join it.
    pub attachable: Option<Flag>,
    /// No traffic out of the network.
    pub internal: Option<Flag>,
    /// Made outside the stack; used, never created.
    pub external: Option<Flag>,
    /// Its Docker name instead of `<stack>_<key>`.
    pub name: Option<String>,
    /// Labels on the network.
    pub labels: Option<ListOrDict>,
}

/// A top-level named volume.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// The volume driver (`local` when absent).
    pub driver: Option<String>,
    /// Options of the driver.
    #[serde(default)]
    pub driver_opts: BTreeMap<String, String>,
    /// Made outside the stack; used, never created.
    pub external: Option<Flag>,
    /// Its Docker name instead of `<stack>_<key>`.
    pub name: Option<String>,
    /// Labels on the volume (put on it by the node that creates it).
    pub labels: Option<ListOrDict>,
}

/// A top-level secret or config: a file's content stored in Swarm.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileObject {
    /// The file holding the content; made absolute against the stack file
    /// that declared it when the stack is loaded.
    pub file: Option<PathBuf>,
    /// Made outside the stack; used, never created.
    pub external: Option<Flag>,
    /// Its Swarm name instead of `<stack>_<key>`; global in a swarm.
    pub name: Option<String>,
    /// Labels on the object.
    pub labels: Option<ListOrDict>,
    /// `golang`: Swarm renders the content for each task, with the task's
    /// own values (`{{ env "NAME" }}` is the service's environment).
    pub template_driver: Option<String>,
    /// The content of `file`, read when the stack is loaded.
    #[serde(skip)]
    pub data: Option<Vec<u8>>,
}

/// One service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The image to run; the caller sets it by digest.
    pub image: Option<String>,
    /// For `docker compose build`; ignored, as `docker stack deploy` does.
    pub build: Option<Value>,
    /// Start order for `docker compose`; Swarm ignores it.
    pub depends_on: Option<Value>,
    /// Overrides the image's CMD.
    pub command: Option<StringOrList>,
    /// Overrides the image's ENTRYPOINT.
    pub entrypoint: Option<StringOrList>,
    /// Environment variables.
    pub environment: Option<ListOrDict>,
    /// Published ports.
    #[serde(default)]
    pub ports: Vec<Port>,
    /// Networks to join; the stack's `default` network when absent.
    pub networks: Option<Networks>,
    /// Named volumes, bind mounts and tmpfs.
    #[serde(default)]
    pub volumes: Vec<ServiceVolume>,
    /// Secrets mounted under `/run/secrets`.
    #[serde(default)]
    pub secrets: Vec<FileReference>,
    /// Configs mounted as files.
    #[serde(default)]
    pub configs: Vec<FileReference>,
    /// Overrides or sets the image's health check.
    pub healthcheck: Option<Healthcheck>,
    /// Time between the stop signal and SIGKILL.
    pub stop_grace_period: Option<Nanos>,
    /// The signal that stops the container.
    pub stop_signal: Option<String>,
    /// User to run as.
    pub user: Option<String>,
    /// Working directory.
    pub working_dir: Option<String>,
    /// The container's host name.
    pub hostname: Option<String>,
    /// Container labels (service labels are under `deploy.labels`).
    pub labels: Option<ListOrDict>,
    /// `host:ip` lines for `/etc/hosts`.
    #[serde(default)]
    pub extra_hosts: ExtraHosts,
    /// Runs an init process as PID 1.
    pub init: Option<Flag>,
    /// The root file system is read-only.
    pub read_only: Option<Flag>,
    /// Capabilities to add.
    #[serde(default)]
    pub cap_add: Vec<String>,
    /// Capabilities to drop.
    #[serde(default)]
    pub cap_drop: Vec<String>,
    /// Kernel parameters.
    pub sysctls: Option<ListOrDict>,
    /// Resource limits by name (`nofile`).
    #[serde(default)]
    pub ulimits: BTreeMap<String, Ulimit>,
    /// Where the container's output goes.
    pub logging: Option<Logging>,
    /// Compose's restart policy, used when `deploy.restart_policy` is absent.
    pub restart: Option<ComposeRestart>,
    /// How Swarm runs the service.
    pub deploy: Option<Deploy>,
}

/// `restart:` of compose, mapped to a Swarm restart condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComposeRestart {
    /// `no`: never.
    No,
    /// `always`: on any exit.
    Always,
    /// `on-failure`: on a non-zero exit.
    OnFailure,
    /// `unless-stopped`: on any exit (Swarm has no manual stop).
    UnlessStopped,
}

/// Reads a map whose entries may be null (`edge:`), as the default entry.
fn null_is_default<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    let map = BTreeMap::<String, Option<T>>::deserialize(d)?;
    Ok(map
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

#[cfg(test)]
mod tests;

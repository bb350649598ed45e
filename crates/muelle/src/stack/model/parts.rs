//! The keys of a service written in a short or a long syntax: ports,
//! volumes, secrets and configs. Each is read into one shape, whichever
//! syntax the file used.

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

use super::scalar::{Bytes, Count, FileMode, Flag, ShortOrLong, Text, short_or_long};
use crate::local::spec::parse_port;

/// A published port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// The container's port.
    pub target: u16,
    /// The port on the node(s); Swarm picks one when absent.
    pub published: Option<u16>,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: Protocol,
    /// On every node through the routing mesh, or on the task's node only.
    pub mode: PortMode,
}

/// `protocol` of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

/// `mode` of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortMode {
    /// The routing mesh: every node forwards to a task (needs a virtual IP).
    Ingress,
    /// Only the node running the task listens.
    Host,
}

/// The long syntax of a port.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongPort {
    target: Count,
    published: Option<Count>,
    protocol: Option<Protocol>,
    mode: Option<PortMode>,
}

fn port_number(n: u64) -> Result<u16, String> {
    u16::try_from(n)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("{n} is not a port number"))
}

impl ShortOrLong for Port {
    type Long = LongPort;
    const EXPECTING: &'static str = "a port such as \"80:8080\" or a mapping with target";

    fn short(text: &str) -> Result<Port, String> {
        let port = parse_port(text)?;
        if !port.host_ip.is_empty() {
            return Err(format!(
                "port {text:?}: Swarm publishes on every address of a node; drop {:?}",
                port.host_ip
            ));
        }
        let protocol = match port.protocol.as_str() {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "sctp" => Protocol::Sctp,
            other => return Err(format!("port {text:?}: {other:?} is not tcp, udp or sctp")),
        };
        Ok(Port {
            target: port.container_port,
            published: port.host_port,
            protocol,
            mode: PortMode::Ingress,
        })
    }

    fn long(long: LongPort) -> Result<Port, String> {
        Ok(Port {
            target: port_number(long.target.0)?,
            published: long.published.map(|p| port_number(p.0)).transpose()?,
            protocol: long.protocol.unwrap_or(Protocol::Tcp),
            mode: long.mode.unwrap_or(PortMode::Ingress),
        })
    }
}

/// What a service volume mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    /// A named volume (or an anonymous one, without a source).
    Volume,
    /// A path of the node.
    Bind,
    /// Memory.
    Tmpfs,
}

/// One entry of a service's `volumes`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceVolume {
    /// What is mounted.
    pub kind: MountKind,
    /// The volume's key in the stack, or the node's path.
    pub source: Option<String>,
    /// Where in the container.
    pub target: String,
    /// Mounted read-only.
    pub read_only: bool,
    /// A new volume is not filled with the image's files at `target`.
    pub nocopy: bool,
    /// A bind mount's propagation (`rprivate`, …).
    pub propagation: Option<String>,
    /// A tmpfs' size in bytes.
    pub tmpfs_size: Option<i64>,
    /// A tmpfs' mode.
    pub tmpfs_mode: Option<u32>,
}

/// The long syntax of a service volume.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongVolume {
    #[serde(rename = "type")]
    kind: MountKind,
    source: Option<String>,
    target: String,
    read_only: Option<Flag>,
    volume: Option<VolumeOptions>,
    bind: Option<BindOptions>,
    tmpfs: Option<TmpfsOptions>,
    /// Docker Desktop's; accepted and ignored, as Swarm does.
    #[serde(rename = "consistency")]
    _consistency: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VolumeOptions {
    nocopy: Option<Flag>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BindOptions {
    propagation: Option<String>,
    /// Swarm never creates a missing host path; accepted and ignored.
    #[serde(rename = "create_host_path")]
    _create_host_path: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TmpfsOptions {
    size: Option<Bytes>,
    mode: Option<FileMode>,
}

/// Propagations a bind mount may have, as the Engine API names them.
const PROPAGATIONS: [&str; 6] = [
    "private", "rprivate", "shared", "rshared", "slave", "rslave",
];

impl ServiceVolume {
    /// Whether a short-syntax source names a path of the node, not a volume.
    pub fn is_path(source: &str) -> bool {
        source.starts_with(['/', '.', '~'])
    }
}

impl ShortOrLong for ServiceVolume {
    type Long = LongVolume;
    const EXPECTING: &'static str = "a volume such as db-data:/data or a mapping with type";

    fn short(text: &str) -> Result<ServiceVolume, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let (source, target, options) = match parts.as_slice() {
            [target] => (None, *target, ""),
            [source, target] => (Some(*source), *target, ""),
            [source, target, options] => (Some(*source), *target, *options),
            _ => return Err(format!("volume {text:?} is not [source:]target[:options]")),
        };
        let mut volume = ServiceVolume {
            kind: match source {
                Some(s) if ServiceVolume::is_path(s) => MountKind::Bind,
                _ => MountKind::Volume,
            },
            source: source.map(str::to_owned),
            target: target.to_owned(),
            read_only: false,
            nocopy: false,
            propagation: None,
            tmpfs_size: None,
            tmpfs_mode: None,
        };
        for option in options.split(',').filter(|o| !o.is_empty()) {
            match option {
                "ro" => volume.read_only = true,
                "rw" => volume.read_only = false,
                "nocopy" if volume.kind == MountKind::Volume => volume.nocopy = true,
                p if volume.kind == MountKind::Bind && PROPAGATIONS.contains(&p) => {
                    volume.propagation = Some(p.to_owned());
                }
                other => return Err(format!("volume {text:?}: unknown option {other:?}")),
            }
        }
        Ok(volume)
    }

    fn long(long: LongVolume) -> Result<ServiceVolume, String> {
        let wrong = |options: &str| {
            Err(format!(
                "{options} options do not go with type {:?}",
                long.kind
            ))
        };
        match long.kind {
            MountKind::Volume if long.bind.is_some() => return wrong("bind"),
            MountKind::Volume if long.tmpfs.is_some() => return wrong("tmpfs"),
            MountKind::Bind if long.volume.is_some() => return wrong("volume"),
            MountKind::Bind if long.tmpfs.is_some() => return wrong("tmpfs"),
            MountKind::Bind if long.source.is_none() => {
                return Err("a bind mount needs a source".into());
            }
            MountKind::Tmpfs if long.volume.is_some() => return wrong("volume"),
            MountKind::Tmpfs if long.bind.is_some() => return wrong("bind"),
            MountKind::Tmpfs if long.source.is_some() => {
                return Err("a tmpfs mount takes no source".into());
            }
            _ => {}
        }
        let propagation = long.bind.and_then(|b| b.propagation);
        if let Some(p) = &propagation {
            if !PROPAGATIONS.contains(&p.as_str()) {
                return Err(format!(
                    "bind.propagation {p:?} is not one of {}",
                    PROPAGATIONS.join(", ")
                ));
            }
        }
        Ok(ServiceVolume {
            kind: long.kind,
            source: long.source,
            target: long.target,
            read_only: long.read_only.is_some_and(|f| f.0),
            nocopy: long.volume.and_then(|v| v.nocopy).is_some_and(|f| f.0),
            propagation,
            tmpfs_size: long
                .tmpfs
                .as_ref()
                .and_then(|t| t.size.as_ref())
                .map(|s| s.0),
            tmpfs_mode: long
                .tmpfs
                .as_ref()
                .and_then(|t| t.mode.as_ref())
                .map(|m| m.0),
        })
    }
}

/// One entry of a service's `secrets` or `configs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReference {
    /// The secret's or config's key in the stack.
    pub source: String,
    /// The file in the container (`/run/secrets/<target>` for a secret name).
    pub target: Option<String>,
    /// Its owner (`0` when absent).
    pub uid: Option<String>,
    /// Its group (`0` when absent).
    pub gid: Option<String>,
    /// Its mode (`0444` when absent).
    pub mode: Option<u32>,
}

/// The long syntax of a secret or config reference.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongFileReference {
    source: String,
    target: Option<String>,
    uid: Option<Text>,
    gid: Option<Text>,
    mode: Option<FileMode>,
}

impl ShortOrLong for FileReference {
    type Long = LongFileReference;
    const EXPECTING: &'static str = "a name or a mapping with source";

    fn short(text: &str) -> Result<FileReference, String> {
        Ok(FileReference {
            source: text.to_owned(),
            target: None,
            uid: None,
            gid: None,
            mode: None,
        })
    }

    fn long(long: LongFileReference) -> Result<FileReference, String> {
        Ok(FileReference {
            source: long.source,
            target: long.target,
            uid: long.uid.map(|t| t.0),
            gid: long.gid.map(|t| t.0),
            mode: long.mode.map(|m| m.0),
        })
    }
}

/// Implements `Deserialize` through [`short_or_long`].
macro_rules! written_either_way {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                short_or_long(d)
            }
        }
    )*};
}

written_either_way!(Port, ServiceVolume, FileReference);

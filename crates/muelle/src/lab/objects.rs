//! The host-engine objects every part of the lab is made of: its network,
//! data volumes and containers, each made only when missing (and a stopped
//! container started), and what a running container tells: its published
//! ports, its address on the lab network, its environment.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, ContainerInspectResponse, PortBinding, PortMap};

use super::Error;
use super::names::Names;
use crate::engine::containers::{self, Readiness};
use crate::engine::{networks, volumes};
use crate::error::Result;

/// How long a container may take to become healthy (the node image's
/// health check allows 60 s for its engine to start).
const UP_DEADLINE: Duration = Duration::from_secs(120);
/// How often readiness is looked at.
const POLL: Duration = Duration::from_millis(250);

/// Makes the lab's network unless it exists; returns whether it made it.
pub async fn ensure_network(
    host: &Docker,
    names: &Names,
    labels: HashMap<String, String>,
) -> Result<bool> {
    if networks::labels(host, names.network()).await?.is_some() {
        return Ok(false);
    }
    networks::create(host, names.network(), labels).await?;
    Ok(true)
}

/// Makes a labelled data volume; Docker hands back one that exists.
pub async fn ensure_volume(
    host: &Docker,
    name: &str,
    labels: HashMap<String, String>,
) -> Result<()> {
    Ok(volumes::create(host, name, labels).await?)
}

/// What became of a container [`ensure_container`] was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    /// It was running already.
    Running,
    /// It existed, stopped, and was started.
    Started,
    /// It was created and started.
    Created,
}

/// Makes container `name` from `body` on the lab network (with `aliases`)
/// unless it exists, and starts it unless it runs.
pub async fn ensure_container(
    host: &Docker,
    names: &Names,
    name: &str,
    aliases: &[&str],
    body: ContainerCreateBody,
) -> Result<Made> {
    let made = match containers::inspect(host, name).await? {
        Some(found) if is_running(&found) => return Ok(Made::Running),
        Some(_) => Made::Started,
        None => {
            let aliases = aliases.iter().map(|a| (*a).to_owned()).collect();
            containers::create(host, name, body, &[(names.network().to_owned(), aliases)]).await?;
            Made::Created
        }
    };
    containers::start(host, name).await?;
    Ok(made)
}

/// Whether an inspected container runs.
pub fn is_running(container: &ContainerInspectResponse) -> bool {
    container
        .state
        .as_ref()
        .and_then(|s| s.running)
        .unwrap_or(false)
}

/// The container's state as docker says it (`running`, `exited`, …).
pub fn state(container: &ContainerInspectResponse) -> String {
    container
        .state
        .as_ref()
        .and_then(|s| s.status)
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// Waits until every container in `names` runs and passes its health check.
pub async fn wait_up(host: &Docker, names: &[String]) -> Result<()> {
    let started = Instant::now();
    let mut waiting: Vec<String> = names.to_vec();
    loop {
        let mut still = Vec::new();
        for name in waiting {
            match containers::readiness(host, &name).await? {
                Readiness::Ready => {}
                Readiness::Failed(why) => {
                    return Err(Error::NotUp {
                        container: name,
                        why,
                    }
                    .into());
                }
                Readiness::Waiting(why) if started.elapsed() > UP_DEADLINE => {
                    let why = format!("still starting after {} s: {why}", UP_DEADLINE.as_secs());
                    return Err(Error::NotUp {
                        container: name,
                        why,
                    }
                    .into());
                }
                Readiness::Waiting(_) => still.push(name),
            }
        }
        if still.is_empty() {
            return Ok(());
        }
        waiting = still;
        tokio::time::sleep(POLL).await;
    }
}

/// Ports to publish on the host's loopback: (container port, host port or 0 for any).
pub fn publish(ports: &[(u16, u16)]) -> (Vec<String>, PortMap) {
    let exposed = ports.iter().map(|(p, _)| format!("{p}/tcp")).collect();
    let bindings = ports
        .iter()
        .map(|(port, host_port)| {
            let binding = PortBinding {
                host_ip: Some("127.0.0.1".into()),
                host_port: Some(if *host_port == 0 {
                    String::new()
                } else {
                    host_port.to_string()
                }),
            };
            (format!("{port}/tcp"), Some(vec![binding]))
        })
        .collect();
    (exposed, bindings)
}

/// The host port a container's TCP `port` is published on.
pub fn host_port(container: &ContainerInspectResponse, port: u16) -> Option<u16> {
    let ports = container.network_settings.as_ref()?.ports.as_ref()?;
    ports
        .get(&format!("{port}/tcp"))?
        .as_ref()?
        .iter()
        .find_map(|b| b.host_port.as_deref()?.parse().ok())
}

/// The container's IPv4 address on `network`.
pub fn address(container: &ContainerInspectResponse, network: &str) -> Option<String> {
    let networks = container.network_settings.as_ref()?.networks.as_ref()?;
    networks
        .get(network)?
        .ip_address
        .clone()
        .filter(|ip| !ip.is_empty())
}

/// The value of the container's environment variable `key`.
pub fn env(container: &ContainerInspectResponse, key: &str) -> Option<String> {
    let prefix = format!("{key}=");
    container
        .config
        .as_ref()?
        .env
        .as_ref()?
        .iter()
        .find_map(|e| e.strip_prefix(&prefix).map(str::to_owned))
}

/// A free TCP port on the host's loopback right now.
pub fn free_port() -> Result<u16> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(crate::Error::io("find a free port on 127.0.0.1"))
}

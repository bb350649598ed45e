//! The lab's Swarm nodes: docker-in-docker containers from the node image
//! (deploy/docker/bases/node.Dockerfile), started without `--privileged`
//! as DESIGN.md §3 says, each with its engine's data on its own volume.
//! Node 1, the manager, offers its engine on the host's loopback and
//! publishes the ingress ports (80, 443), which the stack binds in host mode.

use bollard::models::{ContainerCreateBody, HostConfig};

use super::names::{Names, role};
use super::objects::{self, Made};
use crate::error::Result;

/// The manager's engine API, plain TCP, published on the host's loopback only.
pub const ENGINE_PORT: u16 = 2375;
/// Ingress over HTTP.
pub const HTTP_PORT: u16 = 80;
/// Ingress over HTTPS.
pub const HTTPS_PORT: u16 = 443;

/// What every node needs to be made.
pub struct NodeSettings<'a> {
    /// The node image's tag.
    pub image: &'a str,
    /// The registry's host port: the node forwards its 127.0.0.1:PORT to
    /// the registry, so the names the host pushes to pull on the node too.
    pub registry_port: u16,
}

/// The container of node `n` (1 is the manager).
fn body(names: &Names, n: usize, settings: &NodeSettings<'_>) -> ContainerCreateBody {
    let node = names.node(n);
    let mut env = vec![
        format!("NODE_NAME={node}"),
        format!(
            "LAB_REGISTRY_FORWARD={}=registry:5000",
            settings.registry_port
        ),
    ];
    let mut ports = Vec::new();
    if n == 1 {
        env.push(format!("DOCKERD_TCP=0.0.0.0:{ENGINE_PORT}"));
        ports = vec![(ENGINE_PORT, 0), (HTTP_PORT, 0), (HTTPS_PORT, 0)];
    }
    let (exposed, bindings) = objects::publish(&ports);
    let capabilities = |names: &[&str]| Some(names.iter().map(|c| (*c).to_owned()).collect());
    ContainerCreateBody {
        image: Some(settings.image.to_owned()),
        hostname: Some(node.clone()),
        env: Some(env),
        labels: Some(names.labels(role::NODE, Some(&node))),
        exposed_ports: Some(exposed),
        host_config: Some(HostConfig {
            cap_add: capabilities(&["ALL"]),
            cap_drop: capabilities(&["SYS_RESOURCE"]),
            security_opt: capabilities(&["seccomp=unconfined", "apparmor=unconfined"]),
            // `--security-opt systempaths=unconfined` is the CLI's; the API
            // says it as no masked and no read-only paths.
            masked_paths: Some(Vec::new()),
            readonly_paths: Some(Vec::new()),
            device_cgroup_rules: capabilities(&["a *:* rwm"]),
            tmpfs: Some([("/run".to_owned(), String::new())].into()),
            binds: Some(vec![
                "/sys/fs/cgroup:/sys/fs/cgroup:rw".to_owned(),
                format!("{}:/var/lib/docker", Names::volume(&node)),
            ]),
            port_bindings: Some(bindings),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Makes nodes 1..=count (each missing one, with its volume), starts the
/// stopped ones and waits until every engine answers; returns what became
/// of each.
pub async fn ensure(
    host: &bollard::Docker,
    names: &Names,
    count: usize,
    settings: &NodeSettings<'_>,
) -> Result<Vec<Made>> {
    let mut made = Vec::new();
    for n in 1..=count {
        let node = names.node(n);
        objects::ensure_volume(
            host,
            &Names::volume(&node),
            names.labels(role::NODE, Some(&node)),
        )
        .await?;
        made.push(
            objects::ensure_container(host, names, &node, &[], body(names, n, settings)).await?,
        );
    }
    let all: Vec<String> = (1..=count).map(|n| names.node(n)).collect();
    objects::wait_up(host, &all).await?;
    Ok(made)
}

/// How many node containers the lab has, by their labels.
pub async fn count(host: &bollard::Docker, names: &Names) -> Result<usize> {
    let mut filter = names.filter();
    filter.push(format!("{}={}", super::names::ROLE_LABEL, role::NODE));
    Ok(crate::engine::containers::list(host, &filter).await?.len())
}

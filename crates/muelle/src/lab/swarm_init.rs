//! Makes the lab's nodes one Swarm: `swarm init` on the manager's engine
//! (over its published TCP port), `docker swarm join` run in each worker's
//! container (their engines listen inside the lab only), the placement
//! labels the stack's constraints name on the manager, then a wait until
//! every node is Ready. Each step is skipped when already done.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{LocalNodeState, Node, NodeState, SwarmInitRequest};
use bollard::query_parameters::{ListNodesOptions, UpdateNodeOptions};

use super::Error;
use super::names::Names;
use crate::engine::{containers, failed};
use crate::error::Result;

/// The labels the stack's placement constraints need, all on the manager.
pub const MANAGER_LABELS: [&str; 3] = ["muelle.db", "muelle.redis", "muelle.ingress"];
/// How long the nodes may take to be Ready after joining.
const READY_DEADLINE: Duration = Duration::from_secs(90);
/// The Swarm management port.
const SWARM_PORT: u16 = 2377;

/// Inits the swarm on the manager (at lab address `manager_ip`), joins
/// nodes 2..=count, labels the manager and waits until all are Ready.
pub async fn ensure(
    host: &Docker,
    manager: &Docker,
    names: &Names,
    count: usize,
    manager_ip: &str,
) -> Result<()> {
    let info = manager
        .info()
        .await
        .map_err(failed("read the manager's engine info"))?;
    let state = info.swarm.and_then(|s| s.local_node_state);
    if state != Some(LocalNodeState::ACTIVE) {
        let request = SwarmInitRequest {
            listen_addr: Some(format!("0.0.0.0:{SWARM_PORT}")),
            advertise_addr: Some(manager_ip.to_owned()),
            ..Default::default()
        };
        manager
            .init_swarm(request)
            .await
            .map_err(failed(format!("init the swarm on {}", names.node(1))))?;
    }
    let swarm = manager
        .inspect_swarm()
        .await
        .map_err(failed("inspect the lab's swarm"))?;
    let token = swarm
        .join_tokens
        .and_then(|t| t.worker)
        .ok_or_else(|| Error::NoJoinToken {
            name: names.lab().to_owned(),
        })?;
    for n in 2..=count {
        join(host, &names.node(n), &token, manager_ip).await?;
    }
    label_manager(manager, &names.node(1)).await?;
    wait_ready(manager, names, count).await
}

/// Joins node `node` as a worker unless its engine is in a swarm already.
async fn join(host: &Docker, node: &str, token: &str, manager_ip: &str) -> Result<()> {
    let state = containers::exec(
        host,
        node,
        node,
        &["docker", "info", "--format", "{{.Swarm.LocalNodeState}}"].map(String::from),
    )
    .await?;
    if matches!(state.trim(), "active" | "pending") {
        return Ok(());
    }
    let command = [
        "docker".to_owned(),
        "swarm".to_owned(),
        "join".to_owned(),
        "--token".to_owned(),
        token.to_owned(),
        format!("{manager_ip}:{SWARM_PORT}"),
    ];
    containers::exec(host, node, node, &command).await?;
    Ok(())
}

/// Every node of the swarm, as the manager lists them.
pub async fn nodes(manager: &Docker) -> Result<Vec<Node>> {
    Ok(manager
        .list_nodes(None::<ListNodesOptions>)
        .await
        .map_err(failed("list the swarm's nodes"))?)
}

/// The node's host name (the lab's node name).
pub fn hostname(node: &Node) -> &str {
    node.description
        .as_ref()
        .and_then(|d| d.hostname.as_deref())
        .unwrap_or_default()
}

/// The node's state in the swarm (`ready`, `down`, …).
pub fn state(node: &Node) -> Option<NodeState> {
    node.status.as_ref().and_then(|s| s.state)
}

/// Adds the placement labels to the manager's node spec unless it has them.
async fn label_manager(manager: &Docker, hostname_wanted: &str) -> Result<()> {
    let all = nodes(manager).await?;
    let Some(node) = all.iter().find(|n| hostname(n) == hostname_wanted) else {
        return Ok(());
    };
    let mut spec = node.spec.clone().unwrap_or_default();
    let labels: &mut HashMap<String, String> = spec.labels.get_or_insert_with(HashMap::new);
    let missing: Vec<&str> = MANAGER_LABELS
        .into_iter()
        .filter(|l| labels.get(*l).map(String::as_str) != Some("true"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    for label in missing {
        labels.insert(label.to_owned(), "true".to_owned());
    }
    let version = node
        .version
        .as_ref()
        .and_then(|v| v.index)
        .unwrap_or_default();
    let id = node.id.clone().unwrap_or_default();
    manager
        .update_node(
            &id,
            spec,
            UpdateNodeOptions {
                version: version as i64,
            },
        )
        .await
        .map_err(failed(format!("label the swarm node {hostname_wanted}")))?;
    Ok(())
}

/// Waits until each of the lab's `count` nodes is Ready in the swarm.
async fn wait_ready(manager: &Docker, names: &Names, count: usize) -> Result<()> {
    let started = Instant::now();
    let wanted: Vec<String> = (1..=count).map(|n| names.node(n)).collect();
    loop {
        let all = nodes(manager).await?;
        let not_ready: Vec<String> = wanted
            .iter()
            .filter(|name| {
                !all.iter()
                    .any(|n| hostname(n) == name.as_str() && state(n) == Some(NodeState::READY))
            })
            .map(
                |name| match all.iter().find(|n| hostname(n) == name).and_then(state) {
                    Some(other) => format!("{name} {other}"),
                    None => format!("{name} not joined"),
                },
            )
            .collect();
        if not_ready.is_empty() {
            return Ok(());
        }
        if started.elapsed() > READY_DEADLINE {
            return Err(Error::NodesNotReady {
                name: names.lab().to_owned(),
                ready: count - not_ready.len(),
                wanted: count,
                waited_secs: READY_DEADLINE.as_secs(),
                detail: not_ready.join(", "),
            }
            .into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

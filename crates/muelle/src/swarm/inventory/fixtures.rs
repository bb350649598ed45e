//! Inventories made by hand for the tests of warnings and rendering: a
//! two-node lab with the voting stack, each piece changeable.

use std::collections::BTreeMap;

use bollard::models::{NodeState, TaskState};

use super::{
    Availability, Health, Inventory, Mode, NodeView, PortView, Role, ServiceView, TaskView,
};

/// A digest as Swarm pins images.
pub const DIGEST: &str = "sha256:1a2b3c4d5e6f77778888999900001111222233334444555566667777888899aa";

/// A ready node.
pub fn node(hostname: &str, role: Role) -> NodeView {
    NodeView {
        id: format!("id-{hostname}"),
        hostname: hostname.to_owned(),
        role,
        leader: role == Role::Manager,
        availability: Availability::Active,
        state: NodeState::READY,
        message: None,
        address: format!("10.0.0.{}", hostname.rsplit('-').next().unwrap_or("1")),
        labels: BTreeMap::new(),
        engine: Some("20.10.24".to_owned()),
    }
}

/// A converged replicated service of stack `voting` at `sha-abc1234`.
pub fn service(short_name: &str, replicas: u64) -> ServiceView {
    ServiceView {
        id: format!("sid-{short_name}"),
        name: format!("voting_{short_name}"),
        short_name: short_name.to_owned(),
        stack: Some("voting".to_owned()),
        mode: Mode::Replicated,
        desired: replicas,
        running: replicas,
        image: format!("127.0.0.1:5000/{short_name}@{DIGEST}"),
        version: Some("sha-abc1234".to_owned()),
        digest: Some("sha256:1a2b3c4d5e6f".to_owned()),
        update: None,
        ports: Vec::new(),
    }
}

/// A healthy running task of `voting_<service>` on `hostname`.
pub fn task(service: &str, slot: u64, hostname: &str) -> TaskView {
    TaskView {
        id: format!("tid-{service}-{slot}-{hostname}"),
        service: format!("voting_{service}"),
        slot: Some(slot),
        node_id: Some(format!("id-{hostname}")),
        desired_state: TaskState::RUNNING,
        state: TaskState::RUNNING,
        since: Some("2026-12-01T11:58:00.123456789Z".to_owned()),
        health: Some(Health::Healthy),
        error: None,
        message: Some("started".to_owned()),
        image: format!("127.0.0.1:5000/{service}@{DIGEST}"),
        digest: Some("sha256:1a2b3c4d5e6f".to_owned()),
        version: Some("sha-abc1234".to_owned()),
    }
}

/// Two ready nodes, vote with a replica on each, db on the manager,
/// everything converged.
pub fn converged() -> Inventory {
    let mut manager = node("node-1", Role::Manager);
    manager.labels.insert("db".to_owned(), "true".to_owned());
    let mut vote = service("vote", 2);
    vote.ports.push(PortView {
        published: Some(8080),
        target: 80,
        protocol: "tcp".to_owned(),
        mode: "host".to_owned(),
    });
    Inventory {
        nodes: vec![manager, node("node-2", Role::Worker)],
        services: vec![service("db", 1), vote],
        tasks: vec![
            task("db", 1, "node-1"),
            task("vote", 1, "node-1"),
            task("vote", 2, "node-2"),
        ],
    }
}

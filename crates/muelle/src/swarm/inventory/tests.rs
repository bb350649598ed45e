//! The inventory built from Engine API answers (as JSON, the way the API
//! sends them), which tasks it keeps, and the warnings it gives.

use bollard::models::{Node, NodeState, Service, Task, TaskState};
use serde_json::json;

use super::convert::{image_parts, inventory, parse_time};
use super::fixtures::{self, DIGEST};
use super::*;

fn now() -> OffsetDateTime {
    parse_time("2026-12-01T12:00:00Z").expect("time")
}

fn api_node(id: &str, hostname: &str, role: &str, state: &str) -> Node {
    serde_json::from_value(json!({
        "ID": id,
        "Spec": {"Role": role, "Availability": "active", "Labels": {"db": "true"}},
        "Description": {"Hostname": hostname, "Engine": {"EngineVersion": "20.10.24"}},
        "Status": {"State": state, "Addr": "10.0.0.2", "Message": ""},
        "ManagerStatus": if role == "manager" { json!({"Leader": true}) } else { json!(null) }
    }))
    .expect("node")
}

fn api_vote() -> Service {
    serde_json::from_value(json!({
        "ID": "sid-vote",
        "Spec": {
            "Name": "voting_vote",
            "Labels": {"com.docker.stack.namespace": "voting", "muelle.version": "sha-abc1234"},
            "TaskTemplate": {"ContainerSpec": {"Image": format!("127.0.0.1:5000/vote@{DIGEST}")}},
            "Mode": {"Replicated": {"Replicas": 3}}
        },
        "Endpoint": {"Ports": [{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"}]},
        "UpdateStatus": {"State": "rollback_completed", "Message": "rollback completed"},
        "ServiceStatus": {"RunningTasks": 3, "DesiredTasks": 3}
    }))
    .expect("service")
}

/// A task of voting_vote: `updated` is when Swarm last changed it, `at`
/// when its state was reported.
fn api_task(
    id: &str,
    slot: u64,
    node: &str,
    desired: &str,
    state: &str,
    times: (&str, &str),
) -> Task {
    let (updated, at) = times;
    serde_json::from_value(json!({
        "ID": id,
        "ServiceID": "sid-vote",
        "Slot": slot,
        "NodeID": node,
        "UpdatedAt": updated,
        "DesiredState": desired,
        "Spec": {"ContainerSpec": {"Image": format!("127.0.0.1:5000/vote@{DIGEST}")}},
        "Status": {"State": state, "Timestamp": at, "Message": state,
                   "Err": if state == "rejected" { "No such image: 127.0.0.1:5000/vote@sha256:1a2b" } else { "" }}
    }))
    .expect("task")
}

#[test]
fn nodes_services_and_tasks_are_read_from_the_engine_api_answers() {
    let recent = ("2026-12-01T11:59:00Z", "2026-12-01T11:59:00.5Z");
    let got = inventory(
        vec![
            api_node("w", "node-2", "worker", "ready"),
            api_node("m", "node-1", "manager", "ready"),
        ],
        vec![api_vote()],
        vec![api_task("t1", 1, "m", "running", "running", recent)],
        now(),
    );
    let hostnames: Vec<&str> = got.nodes.iter().map(|n| n.hostname.as_str()).collect();
    assert_eq!(hostnames, ["node-1", "node-2"], "managers come first");
    let manager = &got.nodes[0];
    assert_eq!(
        (manager.role, manager.leader, manager.state),
        (Role::Manager, true, NodeState::READY)
    );
    assert_eq!(manager.labels.get("db").map(String::as_str), Some("true"));
    assert_eq!(manager.engine.as_deref(), Some("20.10.24"));
    assert_eq!(manager.message, None, "an empty message is no message");

    let vote = &got.services[0];
    assert_eq!(
        (vote.short_name.as_str(), vote.stack.as_deref()),
        ("vote", Some("voting"))
    );
    assert_eq!(vote.version.as_deref(), Some("sha-abc1234"));
    assert_eq!(vote.digest.as_deref(), Some("sha256:1a2b3c4d5e6f"));
    assert_eq!(
        (vote.desired, vote.running),
        (3, 1),
        "running counts the tasks seen running, not Swarm's own number"
    );
    assert_eq!(
        vote.update.as_ref().map(|u| u.state),
        Some(UpdateState::RollbackCompleted)
    );
    assert_eq!(vote.ports[0].published, Some(8080));
    assert_eq!(vote.ports[0].mode, "host");

    let task = &got.tasks[0];
    assert_eq!(task.name(), "voting_vote.1");
    assert_eq!(
        task.health,
        Some(Health::Healthy),
        "running: it passed its first check"
    );
    assert_eq!(
        task.version.as_deref(),
        Some("sha-abc1234"),
        "a task on the service's image has the service's version"
    );
}

#[test]
fn ended_tasks_are_kept_only_when_recent_and_telling() {
    let recent = ("2026-12-01T11:59:00Z", "2026-12-01T11:59:00Z");
    let earlier = ("2026-12-01T11:58:00Z", "2026-12-01T11:58:00Z");
    let old = ("2026-12-01T11:40:00Z", "2026-12-01T11:40:00Z");
    // Swarm gave up on this task 30 s ago; its down node last reported two days ago.
    let left_on_down_node = ("2026-12-01T11:59:30Z", "2026-11-29T09:00:00Z");
    let tasks = vec![
        api_task("run1", 1, "m", "running", "running", recent),
        api_task("rej1", 1, "m", "shutdown", "rejected", recent),
        api_task("shut1", 1, "m", "shutdown", "shutdown", earlier),
        api_task("run2", 2, "m", "running", "running", recent),
        api_task("fail2", 2, "m", "shutdown", "failed", old),
        api_task("run3", 3, "m", "running", "starting", recent),
        api_task("down3", 3, "w", "shutdown", "running", left_on_down_node),
        api_task("shut3", 3, "m", "shutdown", "shutdown", earlier),
    ];
    let got = inventory(
        vec![
            api_node("m", "node-1", "manager", "ready"),
            api_node("w", "node-2", "worker", "down"),
        ],
        vec![api_vote()],
        tasks,
        now(),
    );
    let mut ids: Vec<&str> = got.tasks.iter().map(|t| t.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["down3", "rej1", "run1", "run2", "run3"]);
    let starting = got.tasks.iter().find(|t| t.id == "run3").expect("run3");
    assert_eq!(starting.health, Some(Health::Starting));
}

#[test]
fn image_references_give_their_tag_and_short_digest() {
    let digest = Some("sha256:1a2b3c4d5e6f".to_owned());
    assert_eq!(
        image_parts(&format!("127.0.0.1:5000/vote:sha-1@{DIGEST}")),
        (Some("sha-1".to_owned()), digest.clone())
    );
    assert_eq!(
        image_parts(&format!("127.0.0.1:5000/vote@{DIGEST}")),
        (None, digest)
    );
    assert_eq!(
        image_parts("127.0.0.1:5000/vote"),
        (None, None),
        "a port is no tag"
    );
    assert_eq!(image_parts("vote:7"), (Some("7".to_owned()), None));
}

fn kinds(inventory: &Inventory) -> Vec<WarningKind> {
    inventory.warnings().iter().map(|w| w.kind).collect()
}

#[test]
fn a_converged_cluster_has_no_warnings() {
    assert_eq!(fixtures::converged().warnings(), []);
}

#[test]
fn a_down_node_and_the_tasks_left_on_it_are_warned_about() {
    let mut inventory = fixtures::converged();
    inventory.nodes[1].state = NodeState::DOWN;
    inventory.nodes[1].message = Some("heartbeat failure".to_owned());
    inventory.tasks[2].desired_state = TaskState::SHUTDOWN;
    let mut moved = fixtures::task("vote", 2, "node-1");
    moved.id = "moved".to_owned();
    inventory.tasks.push(moved);
    let warnings = inventory.warnings();
    assert_eq!(
        kinds(&inventory),
        [WarningKind::NodeDown, WarningKind::TaskOnDownNode]
    );
    assert_eq!(
        warnings[0].message,
        "node node-2 is down: heartbeat failure"
    );
    assert_eq!(
        warnings[1].message,
        "voting_vote.2 on node-2, which is down: last reported running at 2026-12-01T11:58:00.123456789Z"
    );
}

#[test]
fn update_states_other_than_completed_are_warned_about() {
    for (state, said) in [
        (UpdateState::Paused, "update paused"),
        (
            UpdateState::RollbackCompleted,
            "update failed and was rolled back",
        ),
        (UpdateState::RollbackStarted, "update failed, rolling back"),
        (UpdateState::Updating, "update in progress"),
    ] {
        let mut inventory = fixtures::converged();
        inventory.services[1].update = Some(UpdateView {
            state,
            message: Some("task abc: unhealthy".to_owned()),
        });
        let warnings = inventory.warnings();
        assert_eq!(kinds(&inventory), [WarningKind::Update], "{state:?}");
        assert_eq!(
            warnings[0].message,
            format!("voting_vote: {said}: task abc: unhealthy")
        );
    }
    let mut done = fixtures::converged();
    done.services[1].update = Some(UpdateView {
        state: UpdateState::Completed,
        message: None,
    });
    assert_eq!(done.warnings(), []);
}

#[test]
fn a_rejected_task_is_warned_about_with_its_error_until_its_replica_runs() {
    let mut inventory = fixtures::converged();
    inventory.services[0].running = 0;
    let db = &mut inventory.tasks[0];
    db.state = TaskState::REJECTED;
    db.desired_state = TaskState::SHUTDOWN;
    db.health = None;
    db.error = Some("No such image: 127.0.0.1:5000/db@sha256:1a2b".to_owned());
    let warnings = inventory.warnings();
    assert_eq!(
        kinds(&inventory),
        [WarningKind::ReplicasMissing, WarningKind::TaskFailed]
    );
    assert_eq!(warnings[0].message, "voting_db: 0 of 1 tasks running");
    assert_eq!(
        warnings[1].message,
        "voting_db.1 rejected on node-1: No such image: 127.0.0.1:5000/db@sha256:1a2b"
    );

    let mut replaced = fixtures::task("db", 1, "node-1");
    replaced.id = "replaced".to_owned();
    inventory.tasks.push(replaced);
    inventory.services[0].running = 1;
    assert_eq!(inventory.warnings(), [], "a replaced failure is history");
}

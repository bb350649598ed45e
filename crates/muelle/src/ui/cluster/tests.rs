//! The cluster view of inventories made by hand: the whole text of a
//! converged cluster, and the lines each kind of trouble adds.

use bollard::models::{NodeState, TaskState};

use super::render;
use crate::swarm::inventory::fixtures::{self, converged};
use crate::swarm::inventory::{Inventory, UpdateState, UpdateView};
use crate::ui::palette::Palette;

fn plain(inventory: &Inventory) -> String {
    render(inventory, Palette::plain())
}

fn warning_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("! ")).collect()
}

/// The lines of the block of node `hostname`: its header and what is indented under it.
fn block<'a>(text: &'a str, hostname: &str) -> Vec<&'a str> {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.starts_with(&format!("{hostname} ")));
    let header = lines.next().into_iter();
    header
        .chain(lines.take_while(|l| l.starts_with("  ")))
        .collect()
}

#[test]
fn a_converged_cluster_shows_nodes_with_their_tasks_then_services() {
    let expected = "\
node-1  manager (leader)  active  ready  10.0.0.1  engine 20.10.24
  labels db=true
  voting_db.1    sha-abc1234  sha256:1a2b3c4d5e6f  running  healthy  since 2026-12-01 11:58:00
  voting_vote.1  sha-abc1234  sha256:1a2b3c4d5e6f  running  healthy  since 2026-12-01 11:58:00
node-2  worker  active  ready  10.0.0.2  engine 20.10.24
  voting_vote.2  sha-abc1234  sha256:1a2b3c4d5e6f  running  healthy  since 2026-12-01 11:58:00

services
  voting_db    replicated 1/1  sha-abc1234  sha256:1a2b3c4d5e6f  no update yet
  voting_vote  replicated 2/2  sha-abc1234  sha256:1a2b3c4d5e6f  no update yet  ports 8080:80/tcp host

converged: nothing to warn about
";
    assert_eq!(plain(&converged()), expected);
}

#[test]
fn a_down_node_shows_the_tasks_it_took_down_and_where_they_went() {
    let mut inventory = converged();
    inventory.nodes[1].state = NodeState::DOWN;
    inventory.nodes[1].message = Some("heartbeat failure".to_owned());
    inventory.tasks[2].desired_state = TaskState::SHUTDOWN;
    let mut moved = fixtures::task("vote", 2, "node-1");
    moved.id = "moved".to_owned();
    inventory.tasks.push(moved);
    let text = plain(&inventory);
    let down = block(&text, "node-2");
    assert!(
        down[0].contains("  worker  active  down  10.0.0.2"),
        "{text}"
    );
    assert!(down[1].contains("voting_vote.2  sha-abc1234"), "{text}");
    assert!(down[1].contains("running → shutdown"), "{text}");
    assert!(
        block(&text, "node-1")
            .iter()
            .any(|l| l.contains("voting_vote.2")),
        "the replacement shows under node-1: {text}"
    );
    assert_eq!(
        warning_lines(&text),
        [
            "! node node-2 is down: heartbeat failure",
            "! voting_vote.2 on node-2, which is down: last reported running at 2026-12-01T11:58:00.123456789Z",
        ]
    );
}

#[test]
fn a_paused_or_rolled_back_update_shows_in_the_service_line_and_warns() {
    for (state, shown, warned) in [
        (
            UpdateState::Paused,
            "update paused",
            "! voting_vote: update paused: update paused due to failure or early termination of task x",
        ),
        (
            UpdateState::RollbackCompleted,
            "update rollback_completed",
            "! voting_vote: update failed and was rolled back: update paused due to failure or early termination of task x",
        ),
    ] {
        let mut inventory = converged();
        inventory.services[1].update = Some(UpdateView {
            state,
            message: Some("update paused due to failure or early termination of task x".to_owned()),
        });
        let text = plain(&inventory);
        let line = text
            .lines()
            .find(|l| l.starts_with("  voting_vote "))
            .expect("service line");
        assert!(line.contains(shown), "{line}");
        assert_eq!(warning_lines(&text), [warned]);
    }
}

#[test]
fn a_rejected_task_shows_its_error_under_its_node_and_warns() {
    let mut inventory = converged();
    inventory.services[0].running = 0;
    let db = &mut inventory.tasks[0];
    db.state = TaskState::REJECTED;
    db.desired_state = TaskState::SHUTDOWN;
    db.health = None;
    db.error = Some("No such image: 127.0.0.1:5000/db@sha256:1a2b".to_owned());
    let text = plain(&inventory);
    let line = block(&text, "node-1")
        .into_iter()
        .find(|l| l.contains("voting_db.1"))
        .expect("task line");
    assert!(line.contains("rejected → shutdown  -"), "{line}");
    assert!(
        line.ends_with("No such image: 127.0.0.1:5000/db@sha256:1a2b"),
        "{line}"
    );
    assert!(text.contains("  voting_db    replicated 0/1"), "{text}");
    assert_eq!(
        warning_lines(&text),
        [
            "! voting_db: 0 of 1 tasks running",
            "! voting_db.1 rejected on node-1: No such image: 127.0.0.1:5000/db@sha256:1a2b",
        ]
    );
}

#[test]
fn a_task_no_node_can_take_shows_apart() {
    let mut inventory = converged();
    inventory.services[0].running = 0;
    let db = &mut inventory.tasks[0];
    db.node_id = None;
    db.state = TaskState::PENDING;
    db.health = None;
    db.error =
        Some("no suitable node (scheduling constraints not satisfied on 2 nodes)".to_owned());
    let text = plain(&inventory);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "not on a node")
        .expect("a block for unplaced tasks");
    assert!(lines[at + 1].starts_with("  voting_db.1 "), "{text}");
    assert!(lines[at + 1].contains("pending"), "{text}");
    assert!(
        lines[at + 1]
            .ends_with("no suitable node (scheduling constraints not satisfied on 2 nodes)")
    );
    assert_eq!(warning_lines(&text), ["! voting_db: 0 of 1 tasks running"]);
}

#[test]
fn colour_is_only_added_when_asked_for() {
    let mut inventory = converged();
    inventory.nodes[1].state = NodeState::DOWN;
    assert!(!plain(&inventory).contains('\x1b'));
    let coloured = render(&inventory, Palette::coloured());
    assert!(coloured.contains("\x1b[32mready\x1b[0m"), "{coloured}");
    assert!(coloured.contains("\x1b[31mdown\x1b[0m"), "{coloured}");
    assert!(
        coloured.contains("\x1b[31m! node node-2 is down\x1b[0m"),
        "{coloured}"
    );
}

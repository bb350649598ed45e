//! The cluster as text (`muelle status`), the thesis' Swarm visualizer in a
//! terminal: each node as a block with its tasks under it, then the
//! services with their update state, then a warning line per thing not
//! converged. A pure function of the inventory, so `--watch` redraws only
//! when this text changes, and tests compare it as text.

use std::fmt::Write as _;

use bollard::models::{NodeState, TaskState};

use crate::swarm::inventory::{
    Health, Inventory, Mode, NodeView, Role, ServiceView, TaskView, parse_time,
};
use crate::ui::palette::Palette;

/// What a cell shows when there is nothing to show.
const NONE: &str = "-";

/// Renders the inventory with its warnings.
pub fn render(inventory: &Inventory, palette: Palette) -> String {
    let mut out = String::new();
    let columns = Columns::of(&inventory.tasks);
    for node in &inventory.nodes {
        node_block(&mut out, node, palette);
        let tasks = inventory
            .tasks
            .iter()
            .filter(|t| t.node_id.as_deref() == Some(node.id.as_str()));
        for task in tasks {
            task_line(&mut out, task, &columns, palette);
        }
    }
    let unplaced: Vec<&TaskView> = inventory
        .tasks
        .iter()
        .filter(|t| {
            t.node_id
                .as_deref()
                .is_none_or(|id| inventory.node(id).is_none())
        })
        .collect();
    if !unplaced.is_empty() {
        let _ = writeln!(out, "{}", palette.strong("not on a node"));
        for task in unplaced {
            task_line(&mut out, task, &columns, palette);
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", palette.strong("services"));
    if inventory.services.is_empty() {
        let _ = writeln!(out, "  none");
    }
    let width = inventory
        .services
        .iter()
        .map(|s| chars(&s.name))
        .max()
        .unwrap_or(0);
    for service in &inventory.services {
        service_line(&mut out, service, width, palette);
    }
    let _ = writeln!(out);
    let warnings = inventory.warnings();
    if warnings.is_empty() {
        let _ = writeln!(out, "{}", palette.good("converged: nothing to warn about"));
    }
    for warning in warnings {
        let _ = writeln!(out, "{}", palette.bad(&format!("! {warning}")));
    }
    out
}

fn node_block(out: &mut String, node: &NodeView, palette: Palette) {
    let role = match (node.role, node.leader) {
        (Role::Manager, true) => "manager (leader)",
        (Role::Manager, false) => "manager",
        (Role::Worker, _) => "worker",
    };
    let state = node.state.to_string();
    let state = match node.state {
        NodeState::READY => palette.good(&state),
        _ => palette.bad(&state),
    };
    let engine = node
        .engine
        .as_deref()
        .map_or_else(String::new, |v| format!("  engine {v}"));
    let _ = writeln!(
        out,
        "{}  {role}  {}  {state}  {}{}",
        palette.strong(&node.hostname),
        serde_plain(&node.availability),
        node.address,
        palette.dim(&engine),
    );
    if !node.labels.is_empty() {
        let labels: Vec<String> = node
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = writeln!(out, "  labels {}", labels.join(" "));
    }
}

/// The widths of the task lines' columns, the same under every node.
struct Columns {
    name: usize,
    version: usize,
    digest: usize,
    state: usize,
    health: usize,
}

impl Columns {
    fn of(tasks: &[TaskView]) -> Columns {
        let max = |f: &dyn Fn(&TaskView) -> usize| tasks.iter().map(f).max().unwrap_or(0);
        Columns {
            name: max(&|t| chars(&t.name())),
            version: max(&|t| chars(t.version.as_deref().unwrap_or(NONE))),
            digest: max(&|t| chars(t.digest.as_deref().unwrap_or(NONE))),
            state: max(&|t| chars(&state_text(t))),
            health: max(&|t| {
                chars(
                    &t.health
                        .map_or_else(|| NONE.to_owned(), |h| serde_plain(&h)),
                )
            }),
        }
    }
}

fn task_line(out: &mut String, task: &TaskView, columns: &Columns, palette: Palette) {
    let state = pad(&state_text(task), columns.state);
    let state = match task.state {
        TaskState::RUNNING if task.desired_state == TaskState::RUNNING => palette.good(&state),
        TaskState::FAILED | TaskState::REJECTED | TaskState::ORPHANED => palette.bad(&state),
        TaskState::RUNNING | TaskState::SHUTDOWN | TaskState::COMPLETE => palette.dim(&state),
        _ => palette.busy(&state),
    };
    let health = pad(
        &task
            .health
            .map_or_else(|| NONE.to_owned(), |h| serde_plain(&h)),
        columns.health,
    );
    let health = match task.health {
        Some(Health::Healthy) => palette.good(&health),
        Some(Health::Starting) => palette.busy(&health),
        Some(Health::Unhealthy) => palette.bad(&health),
        None => health,
    };
    let since = task
        .since
        .as_deref()
        .map_or_else(String::new, |t| format!("since {}", moment(t)));
    let mut line = format!(
        "  {}  {}  {}  {state}  {health}  {}",
        pad(&task.name(), columns.name),
        pad(task.version.as_deref().unwrap_or(NONE), columns.version),
        palette.dim(&pad(task.digest.as_deref().unwrap_or(NONE), columns.digest)),
        palette.dim(&since),
    );
    if let Some(why) = task.error.as_deref() {
        line.push_str(&format!("  {}", palette.bad(why)));
    }
    let _ = writeln!(out, "{}", line.trim_end());
}

/// `running`, or `running → shutdown` when Swarm wants something else.
fn state_text(task: &TaskView) -> String {
    let desired_other = task.desired_state != task.state
        && !(task.desired_state == TaskState::RUNNING && task.state < TaskState::RUNNING);
    if desired_other {
        format!("{} → {}", task.state, task.desired_state)
    } else {
        task.state.to_string()
    }
}

fn service_line(out: &mut String, service: &ServiceView, width: usize, palette: Palette) {
    let mode = match service.mode {
        Mode::Replicated => "replicated",
        Mode::Global => "global",
        Mode::ReplicatedJob => "replicated job",
        Mode::GlobalJob => "global job",
    };
    let count = format!("{}/{}", service.running, service.desired);
    let count = if service.running < service.desired {
        palette.bad(&count)
    } else {
        palette.good(&count)
    };
    let update = service.update.as_ref().map_or_else(
        || "no update yet".to_owned(),
        |u| format!("update {}", serde_plain(&u.state)),
    );
    let mut line = format!(
        "  {}  {mode} {count}  {}  {}  {update}",
        palette.strong(&pad(&service.name, width)),
        service.version.as_deref().unwrap_or(NONE),
        palette.dim(service.digest.as_deref().unwrap_or(NONE)),
    );
    let ports: Vec<String> = service
        .ports
        .iter()
        .map(|p| {
            let published = p.published.map_or_else(String::new, |p| format!("{p}:"));
            format!("{published}{}/{} {}", p.target, p.protocol, p.mode)
        })
        .collect();
    if !ports.is_empty() {
        line.push_str(&format!("  ports {}", ports.join(", ")));
    }
    let _ = writeln!(out, "{line}");
}

/// An Engine API timestamp to the second, in UTC, e.g. `2026-12-01 12:00:01`.
fn moment(text: &str) -> String {
    let Some(t) = parse_time(text) else {
        return text.to_owned();
    };
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A value's serde name (`rollback_completed`, `healthy`), as JSON shows it.
fn serde_plain(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The width of `text` on a terminal (`→` is one column, three bytes).
fn chars(text: &str) -> usize {
    text.chars().count()
}

fn pad(text: &str, width: usize) -> String {
    format!("{text:<width$}")
}

#[cfg(test)]
mod tests;

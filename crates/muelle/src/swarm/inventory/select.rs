//! Which tasks the inventory keeps (see the module doc of `inventory`):
//! Swarm keeps a history of several tasks per slot, and most of it is the
//! shut-down tasks of finished updates.

use std::collections::BTreeMap;

use bollard::models::TaskState;
use time::OffsetDateTime;

use super::convert::is_active;
use super::{Inventory, RECENT, TaskView};

/// The active tasks, plus the most recent ended task of each slot when it
/// changed within [`RECENT`] of `now` and tells something. `changed` is
/// when each task last changed.
pub(super) fn tasks(
    tasks: Vec<(TaskView, Option<OffsetDateTime>)>,
    inventory: &Inventory,
    now: OffsetDateTime,
) -> Vec<TaskView> {
    let mut kept = Vec::new();
    let mut latest_ended: BTreeMap<(String, String), (TaskView, OffsetDateTime)> = BTreeMap::new();
    for (task, changed) in tasks {
        if is_active(&task) {
            kept.push(task);
            continue;
        }
        let Some(changed) = changed.filter(|c| now - *c <= RECENT) else {
            continue;
        };
        let slot = match (task.slot, &task.node_id) {
            (Some(slot), _) => slot.to_string(),
            (None, node) => node.clone().unwrap_or_default(),
        };
        let key = (task.service.clone(), slot);
        if latest_ended.get(&key).is_none_or(|(_, c)| changed > *c) {
            latest_ended.insert(key, (task, changed));
        }
    }
    kept.extend(
        latest_ended
            .into_values()
            .map(|(task, _)| task)
            .filter(|task| tells_something(task, inventory)),
    );
    kept
}

/// Whether an ended task is worth showing: it failed, or it was last seen
/// running on a node that is not ready (a stopped node's tasks).
fn tells_something(task: &TaskView, inventory: &Inventory) -> bool {
    match task.state {
        TaskState::FAILED | TaskState::REJECTED | TaskState::ORPHANED => true,
        TaskState::RUNNING | TaskState::STARTING => {
            task.node_id.is_some() && !inventory.on_ready_node(task)
        }
        _ => task.error.is_some(),
    }
}

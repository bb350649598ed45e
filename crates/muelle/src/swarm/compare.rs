//! Whether a spec muelle wants is the one Swarm already holds. Swarm hands a
//! spec back with things filled in by itself (defaults such as
//! `Runtime: container`, empty objects, network ids for the names it was
//! given), so both sides are compared as JSON with those taken out. An
//! update with an unchanged spec would still replace `PreviousSpec` and
//! reset `UpdateStatus`, so muelle does not send one.

use std::collections::HashMap;

use bollard::models::{ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec};
use serde_json::Value;

/// Values the Engine fills in when a spec leaves them out, by their path
/// from the service spec; equal to these they mean the same as absent.
const DEFAULTS: &[(&[&str], &str)] = &[
    (&["TaskTemplate", "Runtime"], "container"),
    (&["TaskTemplate", "ContainerSpec", "Isolation"], "default"),
    (&["EndpointSpec", "Mode"], "vip"),
    (&["UpdateConfig", "FailureAction"], "pause"),
    (&["UpdateConfig", "Order"], "stop-first"),
    (&["RollbackConfig", "FailureAction"], "pause"),
    (&["RollbackConfig", "Order"], "stop-first"),
];

/// Whether `desired` asks for nothing `current` does not already have.
/// `network_ids` maps network names to ids, since Swarm keeps the ids.
pub fn same_service(
    desired: &ServiceSpec,
    current: &ServiceSpec,
    network_ids: &HashMap<String, String>,
) -> bool {
    let mut desired = desired.clone();
    if desired.mode.is_none() {
        // Swarm's default mode: one replica.
        desired.mode = Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated { replicas: Some(1) }),
            ..Default::default()
        });
    }
    if let Some(replicated) = desired.mode.as_mut().and_then(|m| m.replicated.as_mut()) {
        replicated.replicas.get_or_insert(1);
    }
    let networks = desired
        .task_template
        .as_mut()
        .and_then(|t| t.networks.as_mut());
    for network in networks.into_iter().flatten() {
        if let Some(id) = network.target.as_ref().and_then(|t| network_ids.get(t)) {
            network.target = Some(id.clone());
        }
    }
    normalised(&desired) == normalised(current)
}

/// Whether a task runs the service's current task spec, i.e. is up to
/// date. Placement is left out: Swarm keeps a task whose node still meets
/// changed placement constraints, with the old constraints in its spec.
/// So is the health check, which a task's spec never shows (see
/// [`super::healthcheck`]).
pub fn same_task(task: &TaskSpec, template: &TaskSpec) -> bool {
    let comparable = |spec: &TaskSpec| {
        let mut spec = spec.clone();
        spec.placement = None;
        if let Some(container) = spec.container_spec.as_mut() {
            container.health_check = None;
        }
        normalised(&ServiceSpec {
            task_template: Some(spec),
            ..Default::default()
        })
    };
    comparable(task) == comparable(template)
}

/// The spec as JSON with empty values and Engine defaults taken out.
fn normalised(spec: &ServiceSpec) -> Value {
    let mut value = serde_json::to_value(spec).unwrap_or(Value::Null);
    for (path, default) in DEFAULTS {
        remove_if(&mut value, path, default);
    }
    prune(&mut value);
    value
}

/// Removes the value at `path` if it is the string `default`.
fn remove_if(value: &mut Value, path: &[&str], default: &str) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = value;
    for key in parents {
        match node.get_mut(*key) {
            Some(child) => node = child,
            None => return,
        }
    }
    if let Some(object) = node.as_object_mut() {
        if object.get(*last).and_then(Value::as_str) == Some(default) {
            object.remove(*last);
        }
    }
}

/// Drops nulls, empty strings, zeros, `false`, and objects and lists left
/// empty: the Engine writes them out where the request had nothing, and
/// they mean the same as nothing.
fn prune(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for child in object.values_mut() {
                prune(child);
            }
            object.retain(|_, child| !is_empty(child));
        }
        Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(object) => object.is_empty(),
    }
}

#[cfg(test)]
mod tests;

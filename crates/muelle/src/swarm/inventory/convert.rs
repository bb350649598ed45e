//! From the Engine API's models (every field optional) to the inventory's
//! views, with the names, versions and counts `muelle status` shows.

use std::collections::HashMap;

use bollard::models::{
    EndpointPortConfig, Node, NodeSpecAvailabilityEnum, NodeSpecRoleEnum, NodeState, Service,
    ServiceSpecMode, ServiceUpdateStatusStateEnum, Task, TaskSpecContainerSpec, TaskState,
};
use time::OffsetDateTime;

use super::{
    Availability, Health, Inventory, Mode, NodeView, PortView, Role, ServiceView, TaskView,
    UpdateState, UpdateView, VERSION_LABEL, select,
};
use crate::release::log::short_digest;
use crate::stack::NAMESPACE_LABEL;

/// Builds the inventory from what the Engine API listed at `now`.
pub(super) fn inventory(
    nodes: Vec<Node>,
    services: Vec<Service>,
    tasks: Vec<Task>,
    now: OffsetDateTime,
) -> Inventory {
    let mut nodes: Vec<NodeView> = nodes.into_iter().map(node).collect();
    nodes.sort_by(|a, b| (a.role, &a.hostname).cmp(&(b.role, &b.hostname)));
    let names: HashMap<String, &Service> = services
        .iter()
        .filter_map(|s| Some((s.id.clone()?, s)))
        .collect();
    let tasks: Vec<(TaskView, Option<OffsetDateTime>)> = tasks
        .into_iter()
        .filter_map(|t| {
            let service = names.get(t.service_id.as_deref()?)?;
            let changed = changed_at(&t);
            Some((task(t, service), changed))
        })
        .collect();
    let mut inventory = Inventory {
        nodes,
        services: Vec::new(),
        tasks: Vec::new(),
    };
    let mut kept = select::tasks(tasks, &inventory, now);
    kept.sort_by(|a, b| (&a.service, a.slot, &a.node_id).cmp(&(&b.service, b.slot, &b.node_id)));
    inventory.tasks = kept;
    let mut services: Vec<ServiceView> = services.iter().map(|s| service(s, &inventory)).collect();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    inventory.services = services;
    inventory
}

fn node(node: Node) -> NodeView {
    let spec = node.spec.unwrap_or_default();
    let description = node.description.unwrap_or_default();
    let status = node.status.unwrap_or_default();
    NodeView {
        id: node.id.unwrap_or_default(),
        hostname: description.hostname.unwrap_or_default(),
        role: match spec.role {
            Some(NodeSpecRoleEnum::MANAGER) => Role::Manager,
            _ => Role::Worker,
        },
        leader: node.manager_status.and_then(|m| m.leader).unwrap_or(false),
        availability: match spec.availability {
            Some(NodeSpecAvailabilityEnum::PAUSE) => Availability::Pause,
            Some(NodeSpecAvailabilityEnum::DRAIN) => Availability::Drain,
            _ => Availability::Active,
        },
        state: status.state.unwrap_or(NodeState::UNKNOWN),
        message: status.message.filter(|m| !m.is_empty()),
        address: status.addr.unwrap_or_default(),
        labels: spec.labels.unwrap_or_default().into_iter().collect(),
        engine: description.engine.and_then(|e| e.engine_version),
    }
}

fn service(service: &Service, inventory: &Inventory) -> ServiceView {
    let spec = service.spec.clone().unwrap_or_default();
    let name = spec.name.clone().unwrap_or_default();
    let labels = spec.labels.clone().unwrap_or_default();
    let stack = labels.get(NAMESPACE_LABEL).cloned();
    let short_name = stack
        .as_deref()
        .and_then(|ns| name.strip_prefix(&format!("{ns}_")))
        .unwrap_or(&name)
        .to_owned();
    let image = container_spec_image(spec.task_template.and_then(|t| t.container_spec));
    let (tag, digest) = image_parts(&image);
    let mode = mode(spec.mode.as_ref());
    let tasks = inventory.tasks.iter().filter(|t| t.service == name);
    let active = tasks.clone().filter(|t| is_active(t)).count() as u64;
    let running = tasks
        .filter(|t| is_active(t) && t.state == TaskState::RUNNING && inventory.on_ready_node(t))
        .count() as u64;
    let desired = service
        .service_status
        .as_ref()
        .and_then(|s| s.desired_tasks)
        .or_else(|| replicas(spec.mode.as_ref()))
        .unwrap_or(active);
    ServiceView {
        id: service.id.clone().unwrap_or_default(),
        version: labels.get(VERSION_LABEL).cloned().or(tag),
        digest,
        name,
        short_name,
        stack,
        mode,
        desired,
        running,
        image,
        update: service.update_status.as_ref().and_then(|u| {
            Some(UpdateView {
                state: update_state(u.state?)?,
                message: u.message.clone().filter(|m| !m.is_empty()),
            })
        }),
        ports: service
            .endpoint
            .as_ref()
            .and_then(|e| e.ports.clone())
            .unwrap_or_default()
            .into_iter()
            .map(port)
            .collect(),
    }
}

fn task(task: Task, service: &Service) -> TaskView {
    let service_spec = service.spec.as_ref();
    let service_name = service_spec
        .and_then(|s| s.name.clone())
        .unwrap_or_default();
    let service_image = container_spec_image(
        service_spec
            .and_then(|s| s.task_template.clone())
            .and_then(|t| t.container_spec),
    );
    let container = task.spec.and_then(|s| s.container_spec);
    let image = container_spec_image(container);
    let (tag, digest) = image_parts(&image);
    let version = tag.or_else(|| {
        (image == service_image)
            .then(|| service_spec?.labels.as_ref()?.get(VERSION_LABEL).cloned())
            .flatten()
    });
    let status = task.status.unwrap_or_default();
    let state = status.state.unwrap_or(TaskState::NEW);
    let error = status.err.filter(|e| !e.is_empty());
    let health = match state {
        TaskState::RUNNING => Some(Health::Healthy),
        TaskState::STARTING => Some(Health::Starting),
        TaskState::FAILED if error.as_deref().is_some_and(|e| e.contains("unhealthy")) => {
            Some(Health::Unhealthy)
        }
        _ => None,
    };
    TaskView {
        id: task.id.unwrap_or_default(),
        service: service_name,
        slot: task.slot.and_then(|s| u64::try_from(s).ok()),
        node_id: task.node_id.filter(|n| !n.is_empty()),
        desired_state: task.desired_state.unwrap_or(TaskState::RUNNING),
        state,
        since: status.timestamp,
        health,
        error,
        message: status.message.filter(|m| !m.is_empty()),
        image,
        digest,
        version,
    }
}

/// Whether Swarm still wants the task: desired state up to `running`.
pub(super) fn is_active(task: &TaskView) -> bool {
    task.desired_state <= TaskState::RUNNING
}

/// When a task last changed: its object's update time (set when Swarm
/// decides to shut it down, even if its node cannot report), else its
/// status' time.
fn changed_at(task: &Task) -> Option<OffsetDateTime> {
    let status = task.status.as_ref().and_then(|s| s.timestamp.as_deref());
    [task.updated_at.as_deref(), status]
        .into_iter()
        .flatten()
        .filter_map(parse_time)
        .max()
}

/// Parses an Engine API timestamp (RFC 3339 with nanoseconds).
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

fn container_spec_image(spec: Option<TaskSpecContainerSpec>) -> String {
    spec.and_then(|c| c.image).unwrap_or_default()
}

/// The tag and the short digest of `repo[:tag][@sha256:…]`.
pub(super) fn image_parts(reference: &str) -> (Option<String>, Option<String>) {
    let (name, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(short_digest(digest).to_owned())),
        None => (reference, None),
    };
    let tag = name
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .map(|(_, tag)| tag.to_owned());
    (tag, digest)
}

fn mode(mode: Option<&ServiceSpecMode>) -> Mode {
    match mode {
        Some(m) if m.global.is_some() => Mode::Global,
        Some(m) if m.replicated_job.is_some() => Mode::ReplicatedJob,
        Some(m) if m.global_job.is_some() => Mode::GlobalJob,
        _ => Mode::Replicated,
    }
}

fn replicas(mode: Option<&ServiceSpecMode>) -> Option<u64> {
    let replicas = mode?.replicated.as_ref()?.replicas?;
    u64::try_from(replicas).ok()
}

fn update_state(state: ServiceUpdateStatusStateEnum) -> Option<UpdateState> {
    Some(match state {
        ServiceUpdateStatusStateEnum::EMPTY => return None,
        ServiceUpdateStatusStateEnum::UPDATING => UpdateState::Updating,
        ServiceUpdateStatusStateEnum::PAUSED => UpdateState::Paused,
        ServiceUpdateStatusStateEnum::COMPLETED => UpdateState::Completed,
        ServiceUpdateStatusStateEnum::ROLLBACK_STARTED => UpdateState::RollbackStarted,
        ServiceUpdateStatusStateEnum::ROLLBACK_PAUSED => UpdateState::RollbackPaused,
        ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED => UpdateState::RollbackCompleted,
    })
}

fn port(port: EndpointPortConfig) -> PortView {
    PortView {
        published: port.published_port.and_then(|p| u16::try_from(p).ok()),
        target: port
            .target_port
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or_default(),
        protocol: port
            .protocol
            .map_or_else(|| "tcp".to_owned(), |p| p.to_string()),
        mode: port
            .publish_mode
            .map_or_else(|| "ingress".to_owned(), |m| m.to_string()),
    }
}

//! One service of the stack as a Swarm `ServiceSpec`, key by key as
//! docker/cli's `convert.Service` builds it: the mode, placement,
//! resources, restart policy, networks (every one with the service's short
//! name as an alias) and published ports, and no update or rollback config
//! unless the file has one. The container's part is [`super::container`].

use std::collections::HashMap;

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, Limit, NetworkAttachmentConfig, ResourceObject,
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, ServiceSpecRollbackConfig,
    ServiceSpecRollbackConfigFailureActionEnum, ServiceSpecRollbackConfigOrderEnum,
    ServiceSpecUpdateConfig, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpec, TaskSpecLogDriver, TaskSpecPlacement,
    TaskSpecPlacementPreferences, TaskSpecPlacementSpread, TaskSpecResources,
    TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};

use super::{Scope, container::container, non_empty, to_i64};
use crate::stack::check::network_names;
use crate::stack::model::scalar::Nanos;
use crate::stack::model::{
    ComposeRestart, Deploy, DeployMode, EndpointMode, FailureAction, Networks, PortMode, Protocol,
    RestartCondition, Service, StackFile, UpdateConfig, UpdateOrder,
};

/// Label `docker stack deploy` puts on a service: the image as the file named it.
pub const IMAGE_LABEL: &str = "com.docker.stack.image";

/// The spec of service `name`.
pub fn spec(scope: &Scope, file: &StackFile, name: &str, service: &Service) -> ServiceSpec {
    let deploy = service.deploy.clone().unwrap_or_default();
    let image = service.image.clone().unwrap_or_default();
    let mut labels = scope.labels(deploy.labels.as_ref());
    labels.insert(IMAGE_LABEL.into(), image.clone());
    ServiceSpec {
        name: Some(scope.name(name)),
        labels: Some(labels),
        task_template: Some(TaskSpec {
            container_spec: Some(container(scope, file, service, image)),
            resources: resources(&deploy),
            restart_policy: restart_policy(service, &deploy),
            placement: placement(&deploy),
            networks: Some(networks(scope, file, name, service)),
            log_driver: service.logging.as_ref().map(|l| TaskSpecLogDriver {
                name: l.driver.clone(),
                options: non_empty(
                    l.options
                        .iter()
                        .map(|(k, v)| (k.clone(), v.0.clone()))
                        .collect(),
                ),
            }),
            ..TaskSpec::default()
        }),
        mode: Some(match deploy.mode {
            Some(DeployMode::Global) => ServiceSpecMode {
                global: Some(HashMap::new()),
                ..ServiceSpecMode::default()
            },
            _ => ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(deploy.replicas.as_ref().map_or(1, |r| to_i64(r.0))),
                }),
                ..ServiceSpecMode::default()
            },
        }),
        update_config: deploy.update_config.as_ref().map(update_config),
        rollback_config: deploy.rollback_config.as_ref().map(rollback_config),
        endpoint_spec: Some(endpoint(service, &deploy)),
        ..ServiceSpec::default()
    }
}

fn resources(deploy: &Deploy) -> Option<TaskSpecResources> {
    let resources = deploy.resources.as_ref()?;
    Some(TaskSpecResources {
        limits: resources.limits.as_ref().map(|l| Limit {
            nano_cpus: l.cpus.as_ref().map(|c| c.0),
            memory_bytes: l.memory.as_ref().map(|m| m.0),
            pids: l.pids.as_ref().map(|p| to_i64(p.0)),
        }),
        reservations: resources.reservations.as_ref().map(|r| ResourceObject {
            nano_cpus: r.cpus.as_ref().map(|c| c.0),
            memory_bytes: r.memory.as_ref().map(|m| m.0),
            ..ResourceObject::default()
        }),
        ..TaskSpecResources::default()
    })
}

fn restart_policy(service: &Service, deploy: &Deploy) -> Option<TaskSpecRestartPolicy> {
    use TaskSpecRestartPolicyConditionEnum as C;
    let condition = |c: RestartCondition| match c {
        RestartCondition::None => C::NONE,
        RestartCondition::OnFailure => C::ON_FAILURE,
        RestartCondition::Any => C::ANY,
    };
    if let Some(policy) = &deploy.restart_policy {
        return Some(TaskSpecRestartPolicy {
            condition: policy.condition.map(condition),
            delay: policy.delay.as_ref().map(|n| n.0),
            max_attempts: policy.max_attempts.as_ref().map(|n| to_i64(n.0)),
            window: policy.window.as_ref().map(|n| n.0),
        });
    }
    let from_compose = match service.restart? {
        ComposeRestart::No => C::NONE,
        ComposeRestart::OnFailure => C::ON_FAILURE,
        ComposeRestart::Always | ComposeRestart::UnlessStopped => C::ANY,
    };
    Some(TaskSpecRestartPolicy {
        condition: Some(from_compose),
        ..TaskSpecRestartPolicy::default()
    })
}

fn placement(deploy: &Deploy) -> Option<TaskSpecPlacement> {
    let placement = deploy.placement.as_ref()?;
    Some(TaskSpecPlacement {
        constraints: (!placement.constraints.is_empty()).then(|| placement.constraints.clone()),
        preferences: (!placement.preferences.is_empty()).then(|| {
            placement
                .preferences
                .iter()
                .map(|p| TaskSpecPlacementPreferences {
                    spread: Some(TaskSpecPlacementSpread {
                        spread_descriptor: Some(p.spread.clone()),
                    }),
                })
                .collect()
        }),
        max_replicas: placement
            .max_replicas_per_node
            .as_ref()
            .map(|m| to_i64(m.0)),
        ..TaskSpecPlacement::default()
    })
}

fn networks(
    scope: &Scope,
    file: &StackFile,
    name: &str,
    service: &Service,
) -> Vec<NetworkAttachmentConfig> {
    let mut attachments: Vec<NetworkAttachmentConfig> = network_names(service)
        .into_iter()
        .map(|key| {
            let declared = file.networks.get(&key).cloned().unwrap_or_default();
            let target = match (
                &declared.name,
                declared.external.as_ref().is_some_and(|e| e.0),
            ) {
                (Some(name), _) => name.clone(),
                (None, true) => key.clone(),
                (None, false) => scope.name(&key),
            };
            let mut aliases = match &service.networks {
                Some(Networks::Map(map)) => map
                    .get(&key)
                    .and_then(|a| a.as_ref())
                    .map(|a| a.aliases.clone())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            aliases.push(name.to_owned());
            NetworkAttachmentConfig {
                target: Some(target),
                aliases: Some(aliases),
                ..NetworkAttachmentConfig::default()
            }
        })
        .collect();
    attachments.sort_by(|a, b| a.target.cmp(&b.target));
    attachments
}

fn endpoint(service: &Service, deploy: &Deploy) -> EndpointSpec {
    let mut ports: Vec<EndpointPortConfig> = service
        .ports
        .iter()
        .map(|p| EndpointPortConfig {
            protocol: Some(match p.protocol {
                Protocol::Tcp => EndpointPortConfigProtocolEnum::TCP,
                Protocol::Udp => EndpointPortConfigProtocolEnum::UDP,
                Protocol::Sctp => EndpointPortConfigProtocolEnum::SCTP,
            }),
            target_port: Some(i64::from(p.target)),
            published_port: p.published.map(i64::from),
            publish_mode: Some(match p.mode {
                PortMode::Ingress => EndpointPortConfigPublishModeEnum::INGRESS,
                PortMode::Host => EndpointPortConfigPublishModeEnum::HOST,
            }),
            ..EndpointPortConfig::default()
        })
        .collect();
    ports.sort_by_key(|p| {
        (
            p.published_port,
            p.target_port,
            p.protocol.as_ref().map(ToString::to_string),
        )
    });
    EndpointSpec {
        mode: deploy.endpoint_mode.map(|m| match m {
            EndpointMode::Vip => EndpointSpecModeEnum::VIP,
            EndpointMode::Dnsrr => EndpointSpecModeEnum::DNSRR,
        }),
        ports: (!ports.is_empty()).then_some(ports),
    }
}

fn update_config(config: &UpdateConfig) -> ServiceSpecUpdateConfig {
    use ServiceSpecUpdateConfigFailureActionEnum as A;
    use ServiceSpecUpdateConfigOrderEnum as O;
    ServiceSpecUpdateConfig {
        parallelism: Some(config.parallelism.as_ref().map_or(1, |p| to_i64(p.0))),
        delay: nonzero(config.delay.as_ref()),
        failure_action: config.failure_action.map(|a| match a {
            FailureAction::Pause => A::PAUSE,
            FailureAction::Continue => A::CONTINUE,
            FailureAction::Rollback => A::ROLLBACK,
        }),
        monitor: nonzero(config.monitor.as_ref()),
        // Sent even when 0, as docker does, and as Swarm stores it.
        max_failure_ratio: Some(config.max_failure_ratio.as_ref().map_or(0.0, |r| r.0)),
        order: config.order.map(|o| match o {
            UpdateOrder::StopFirst => O::STOP_FIRST,
            UpdateOrder::StartFirst => O::START_FIRST,
        }),
    }
}

fn rollback_config(config: &UpdateConfig) -> ServiceSpecRollbackConfig {
    use ServiceSpecRollbackConfigFailureActionEnum as A;
    use ServiceSpecRollbackConfigOrderEnum as O;
    ServiceSpecRollbackConfig {
        parallelism: Some(config.parallelism.as_ref().map_or(1, |p| to_i64(p.0))),
        delay: nonzero(config.delay.as_ref()),
        // The checks refuse `rollback` here before a plan is made.
        failure_action: config.failure_action.and_then(|a| match a {
            FailureAction::Pause => Some(A::PAUSE),
            FailureAction::Continue => Some(A::CONTINUE),
            FailureAction::Rollback => None,
        }),
        monitor: nonzero(config.monitor.as_ref()),
        // Sent even when 0, as docker does, and as Swarm stores it.
        max_failure_ratio: Some(config.max_failure_ratio.as_ref().map_or(0.0, |r| r.0)),
        order: config.order.map(|o| match o {
            UpdateOrder::StopFirst => O::STOP_FIRST,
            UpdateOrder::StartFirst => O::START_FIRST,
        }),
    }
}

/// A duration of an update or rollback, left out when zero as the Engine
/// API leaves it out of what it stores.
fn nonzero(duration: Option<&Nanos>) -> Option<i64> {
    duration.map(|n| n.0).filter(|n| *n != 0)
}

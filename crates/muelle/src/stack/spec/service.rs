//! One service of the stack as a Swarm `ServiceSpec`, key by key as
//! docker/cli's `convert.Service` builds it: `entrypoint` becomes the
//! container's Command and `command` its Args, the environment sorted
//! `K=V` lines, `extra_hosts` as `ip host` lines, every network with the
//! service's short name as an alias, named volumes scoped and labelled,
//! no update or rollback config unless the file has one.

use std::collections::HashMap;

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, HealthConfig, Limit, Mount, MountBindOptions,
    MountBindOptionsPropagationEnum, MountTmpfsOptions, MountType, MountVolumeOptions,
    MountVolumeOptionsDriverConfig, NetworkAttachmentConfig, ResourceObject, ResourcesUlimits,
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, ServiceSpecRollbackConfig,
    ServiceSpecRollbackConfigFailureActionEnum, ServiceSpecRollbackConfigOrderEnum,
    ServiceSpecUpdateConfig, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpec, TaskSpecContainerSpec,
    TaskSpecContainerSpecConfigs, TaskSpecContainerSpecFile, TaskSpecContainerSpecFile1,
    TaskSpecContainerSpecSecrets, TaskSpecLogDriver, TaskSpecPlacement,
    TaskSpecPlacementPreferences, TaskSpecPlacementSpread, TaskSpecResources,
    TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};

use super::{Scope, non_empty, object_name};
use crate::stack::check::network_names;
use crate::stack::model::scalar::Nanos;
use crate::stack::model::{
    ComposeRestart, Deploy, DeployMode, EndpointMode, FailureAction, FileReference, Healthcheck,
    MountKind, Networks, PortMode, Protocol, RestartCondition, Service, ServiceVolume, StackFile,
    StringOrList, UpdateConfig, UpdateOrder,
};

/// Label `docker stack deploy` puts on a service: the image as the file named it.
pub const IMAGE_LABEL: &str = "com.docker.stack.image";

/// The mode bits of a secret or config file when the file gives none.
const DEFAULT_FILE_MODE: u32 = 0o444;

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

fn container(
    scope: &Scope,
    file: &StackFile,
    service: &Service,
    image: String,
) -> TaskSpecContainerSpec {
    let words = |w: &Option<StringOrList>| w.as_ref().and_then(|w| w.words().ok());
    let mut env: Vec<String> = service
        .environment
        .as_ref()
        .map(|e| {
            e.pairs(&|_| None)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect()
        })
        .unwrap_or_default();
    env.sort();
    // Swarm's notation is that of /etc/hosts: the address first.
    let hosts: Vec<String> = service
        .extra_hosts
        .0
        .iter()
        .filter_map(|line| {
            line.split_once(':')
                .map(|(host, ip)| format!("{ip} {host}"))
        })
        .collect();
    let mut secrets: Vec<TaskSpecContainerSpecSecrets> = service
        .secrets
        .iter()
        .map(|r| {
            let (name, target, uid, gid, mode) = reference(scope, file, r, true);
            TaskSpecContainerSpecSecrets {
                file: Some(TaskSpecContainerSpecFile {
                    name: Some(target),
                    uid,
                    gid,
                    mode,
                }),
                secret_name: Some(name),
                ..TaskSpecContainerSpecSecrets::default()
            }
        })
        .collect();
    secrets.sort_by(|a, b| a.secret_name.cmp(&b.secret_name));
    let mut configs: Vec<TaskSpecContainerSpecConfigs> = service
        .configs
        .iter()
        .map(|r| {
            let (name, target, uid, gid, mode) = reference(scope, file, r, false);
            TaskSpecContainerSpecConfigs {
                file: Some(TaskSpecContainerSpecFile1 {
                    name: Some(target),
                    uid,
                    gid,
                    mode,
                }),
                config_name: Some(name),
                ..TaskSpecContainerSpecConfigs::default()
            }
        })
        .collect();
    configs.sort_by(|a, b| a.config_name.cmp(&b.config_name));
    let flag = |f: Option<bool>| f.filter(|f| *f);
    TaskSpecContainerSpec {
        image: Some(image),
        labels: Some(scope.labels(service.labels.as_ref())),
        command: words(&service.entrypoint),
        args: words(&service.command),
        hostname: service.hostname.clone(),
        env: (!env.is_empty()).then_some(env),
        dir: service.working_dir.clone(),
        user: service.user.clone(),
        read_only: flag(service.read_only.as_ref().map(|f| f.0)),
        mounts: Some(
            service
                .volumes
                .iter()
                .map(|v| mount(scope, file, v))
                .collect::<Vec<_>>(),
        )
        .filter(|m| !m.is_empty()),
        stop_signal: service.stop_signal.clone(),
        stop_grace_period: service.stop_grace_period.as_ref().map(|n| n.0),
        health_check: service.healthcheck.as_ref().map(health),
        hosts: (!hosts.is_empty()).then_some(hosts),
        secrets: (!secrets.is_empty()).then_some(secrets),
        configs: (!configs.is_empty()).then_some(configs),
        init: flag(service.init.as_ref().map(|f| f.0)),
        sysctls: service
            .sysctls
            .as_ref()
            .and_then(|s| non_empty(s.pairs(&|_| Some(String::new())).into_iter().collect())),
        capability_add: (!service.cap_add.is_empty()).then(|| service.cap_add.clone()),
        capability_drop: (!service.cap_drop.is_empty()).then(|| service.cap_drop.clone()),
        ulimits: Some(
            service
                .ulimits
                .iter()
                .map(|(name, u)| ResourcesUlimits {
                    name: Some(name.clone()),
                    soft: Some(u.soft),
                    hard: Some(u.hard),
                })
                .collect::<Vec<_>>(),
        )
        .filter(|u| !u.is_empty()),
        ..TaskSpecContainerSpec::default()
    }
}

/// Full name, file name, uid, gid and mode of a secret or config reference.
fn reference(
    scope: &Scope,
    file: &StackFile,
    reference: &FileReference,
    secret: bool,
) -> (String, String, Option<String>, Option<String>, Option<u32>) {
    let declared = if secret { &file.secrets } else { &file.configs };
    let name = declared
        .get(&reference.source)
        .map(|o| object_name(scope, &reference.source, o))
        .unwrap_or_else(|| scope.name(&reference.source));
    (
        name,
        reference
            .target
            .clone()
            .unwrap_or_else(|| reference.source.clone()),
        Some(reference.uid.clone().unwrap_or_else(|| "0".into())),
        Some(reference.gid.clone().unwrap_or_else(|| "0".into())),
        Some(reference.mode.unwrap_or(DEFAULT_FILE_MODE)),
    )
}

fn mount(scope: &Scope, file: &StackFile, volume: &ServiceVolume) -> Mount {
    let mut mount = Mount {
        target: Some(volume.target.clone()),
        source: volume.source.clone(),
        read_only: volume.read_only.then_some(true),
        ..Mount::default()
    };
    match volume.kind {
        MountKind::Volume => {
            mount.typ = Some(MountType::VOLUME);
            let Some(key) = &volume.source else {
                return mount;
            };
            let declared = file.volumes.get(key).cloned().unwrap_or_default();
            let external = declared.external.as_ref().is_some_and(|e| e.0);
            mount.source = Some(match (&declared.name, external) {
                (Some(name), _) => name.clone(),
                (None, true) => key.clone(),
                (None, false) => scope.name(key),
            });
            let driver =
                (declared.driver.is_some() || !declared.driver_opts.is_empty()).then(|| {
                    MountVolumeOptionsDriverConfig {
                        name: declared.driver.clone(),
                        options: non_empty(declared.driver_opts.clone().into_iter().collect()),
                    }
                });
            mount.volume_options = Some(MountVolumeOptions {
                no_copy: volume.nocopy.then_some(true),
                labels: (!external).then(|| scope.labels(declared.labels.as_ref())),
                driver_config: driver.filter(|_| !external),
                ..MountVolumeOptions::default()
            });
        }
        MountKind::Bind => {
            mount.typ = Some(MountType::BIND);
            mount.bind_options = volume.propagation.as_deref().map(|p| MountBindOptions {
                propagation: Some(propagation(p)),
                ..MountBindOptions::default()
            });
        }
        MountKind::Tmpfs => {
            mount.typ = Some(MountType::TMPFS);
            mount.tmpfs_options = (volume.tmpfs_size.is_some() || volume.tmpfs_mode.is_some())
                .then(|| MountTmpfsOptions {
                    size_bytes: volume.tmpfs_size,
                    mode: volume.tmpfs_mode.map(i64::from),
                    ..MountTmpfsOptions::default()
                });
        }
    }
    mount
}

fn propagation(name: &str) -> MountBindOptionsPropagationEnum {
    use MountBindOptionsPropagationEnum as P;
    match name {
        "private" => P::PRIVATE,
        "rprivate" => P::RPRIVATE,
        "shared" => P::SHARED,
        "rshared" => P::RSHARED,
        "slave" => P::SLAVE,
        "rslave" => P::RSLAVE,
        _ => P::EMPTY,
    }
}

fn health(check: &Healthcheck) -> HealthConfig {
    if check.disable.as_ref().is_some_and(|d| d.0) {
        return HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..HealthConfig::default()
        };
    }
    HealthConfig {
        test: check.test.as_ref().map(|test| match test {
            StringOrList::String(s) => vec!["CMD-SHELL".into(), s.clone()],
            StringOrList::List(list) => list.clone(),
        }),
        interval: check.interval.as_ref().map(|n| n.0),
        timeout: check.timeout.as_ref().map(|n| n.0),
        retries: check.retries.as_ref().map(|r| to_i64(r.0)),
        start_period: check.start_period.as_ref().map(|n| n.0),
        start_interval: check.start_interval.as_ref().map(|n| n.0),
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

/// A count as the Engine API's signed integer (counts past `i64::MAX` saturate).
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

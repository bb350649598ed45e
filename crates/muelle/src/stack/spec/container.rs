//! The container of a service's task as Swarm runs it: `entrypoint` as its
//! Command and `command` as its Args, the environment as sorted `K=V`
//! lines, `extra_hosts` as `ip host` lines, named volumes scoped and
//! labelled, secret and config files (owner 0:0, mode 0444 unless the file
//! says otherwise) and the health check in nanoseconds.

use bollard::models::{
    HealthConfig, Mount, MountBindOptions, MountBindOptionsPropagationEnum, MountTmpfsOptions,
    MountType, MountVolumeOptions, MountVolumeOptionsDriverConfig, ResourcesUlimits,
    TaskSpecContainerSpec, TaskSpecContainerSpecConfigs, TaskSpecContainerSpecFile,
    TaskSpecContainerSpecFile1, TaskSpecContainerSpecSecrets,
};

use super::{Scope, non_empty, object_name, to_i64};
use crate::stack::model::{
    FileReference, Healthcheck, MountKind, Service, ServiceVolume, StackFile, StringOrList,
};

/// The mode bits of a secret or config file when the file gives none.
const DEFAULT_FILE_MODE: u32 = 0o444;

/// The container spec of `service`.
pub fn container(
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

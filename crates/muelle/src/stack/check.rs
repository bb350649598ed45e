//! What Swarm would reject in a stack that reads well as YAML: references
//! to networks, volumes, secrets and configs the stack does not declare,
//! keys that contradict each other (`replicas` of a global service,
//! published ingress ports with `endpoint_mode: dnsrr`, `failure_action:
//! rollback` in a rollback), and values only Swarm would refuse. Each
//! problem names the key path; the loader adds the file and line.

use super::locate::KeyPath;
use super::model::{
    DeployMode, EndpointMode, FailureAction, FileObject, MountKind, PortMode, Service, StackFile,
};
use crate::project::compose::Networks;

/// The network a service joins when it names none.
pub const DEFAULT_NETWORK: &str = "default";

/// A problem at a key.
pub type Problem = (KeyPath, String);

/// Checks the merged stack.
pub fn check(file: &StackFile) -> Result<(), Problem> {
    for (name, service) in &file.services {
        let at = KeyPath::of(&["services", name]);
        check_service(file, &at, service)?;
    }
    for (section, objects) in [("secrets", &file.secrets), ("configs", &file.configs)] {
        for (key, object) in objects {
            check_file_object(&KeyPath::of(&[section, key]), object)?;
        }
    }
    Ok(())
}

fn check_service(file: &StackFile, at: &KeyPath, service: &Service) -> Result<(), Problem> {
    let problem = |key: &str, message: String| Err((at.key(key), message));
    match &service.image {
        None => return problem("image", "every service of a stack needs an image".into()),
        Some(image) if image.trim().is_empty() => {
            return problem("image", "the image is empty".into());
        }
        Some(_) => {}
    }
    for (key, words) in [
        ("command", &service.command),
        ("entrypoint", &service.entrypoint),
    ] {
        if let Some(Err(e)) = words.as_ref().map(|w| w.words()) {
            return problem(key, e);
        }
    }
    for network in network_names(service) {
        if network != DEFAULT_NETWORK && !file.networks.contains_key(&network) {
            return problem(
                "networks",
                format!("network {network:?} is not declared under the top-level networks"),
            );
        }
    }
    for (i, volume) in service.volumes.iter().enumerate() {
        if let (MountKind::Volume, Some(source)) = (volume.kind, &volume.source) {
            if !file.volumes.contains_key(source) {
                return Err((
                    at.key("volumes").index(i),
                    format!("volume {source:?} is not declared under the top-level volumes"),
                ));
            }
        }
    }
    for (section, refs, declared) in [
        ("secrets", &service.secrets, &file.secrets),
        ("configs", &service.configs, &file.configs),
    ] {
        for (i, reference) in refs.iter().enumerate() {
            if !declared.contains_key(&reference.source) {
                return Err((
                    at.key(section).index(i),
                    format!(
                        "{:?} is not declared under the top-level {section}",
                        reference.source
                    ),
                ));
            }
        }
    }
    if let Some(line) = service.extra_hosts.0.iter().find(|l| !l.contains(':')) {
        return problem("extra_hosts", format!("{line:?} is not host:ip"));
    }
    if let Some(health) = &service.healthcheck {
        if health.disable.as_ref().is_some_and(|d| d.0) && health.test.is_some() {
            return problem(
                "healthcheck",
                "test and disable cannot be set at the same time".into(),
            );
        }
    }
    check_deploy(at, service)
}

fn check_deploy(at: &KeyPath, service: &Service) -> Result<(), Problem> {
    let Some(deploy) = &service.deploy else {
        return Ok(());
    };
    let at = at.key("deploy");
    let global = deploy.mode == Some(DeployMode::Global);
    if global && deploy.replicas.is_some() {
        return Err((
            at.key("replicas"),
            "a global service runs one task per node and takes no replicas".into(),
        ));
    }
    let max_per_node = deploy
        .placement
        .as_ref()
        .and_then(|p| p.max_replicas_per_node.as_ref());
    if global && max_per_node.is_some() {
        return Err((
            at.key("placement").key("max_replicas_per_node"),
            "a global service runs one task per node; max_replicas_per_node is for replicated ones"
                .into(),
        ));
    }
    if deploy.endpoint_mode == Some(EndpointMode::Dnsrr) {
        if let Some(i) = service
            .ports
            .iter()
            .position(|p| p.mode == PortMode::Ingress)
        {
            return Err((
                service_ports(&at).index(i),
                "endpoint_mode dnsrr has no virtual IP for the routing mesh: publish with mode: host"
                    .into(),
            ));
        }
    }
    let rollback = deploy.rollback_config.as_ref();
    if rollback.and_then(|r| r.failure_action) == Some(FailureAction::Rollback) {
        return Err((
            at.key("rollback_config").key("failure_action"),
            "a rollback cannot roll back: use pause or continue".into(),
        ));
    }
    for (key, config) in [
        ("update_config", &deploy.update_config),
        ("rollback_config", &deploy.rollback_config),
    ] {
        if let Some(ratio) = config.as_ref().and_then(|c| c.max_failure_ratio.as_ref()) {
            if !(0.0..=1.0).contains(&ratio.0) {
                return Err((
                    at.key(key).key("max_failure_ratio"),
                    format!("{} is not a fraction between 0 and 1", ratio.0),
                ));
            }
        }
    }
    Ok(())
}

/// `services.<name>.ports`, from the service's `deploy` path.
fn service_ports(deploy: &KeyPath) -> KeyPath {
    let mut path = deploy.clone();
    path.0.pop();
    path.key("ports")
}

/// The one template driver Swarm has.
const TEMPLATE_DRIVER: &str = "golang";

fn check_file_object(at: &KeyPath, object: &FileObject) -> Result<(), Problem> {
    let external = object.external.as_ref().is_some_and(|e| e.0);
    if let Some(driver) = object.template_driver.as_deref() {
        if driver != TEMPLATE_DRIVER {
            return Err((
                at.key("template_driver"),
                format!("Swarm has one template driver, {TEMPLATE_DRIVER:?}, not {driver:?}"),
            ));
        }
    }
    match (&object.file, external) {
        (Some(_), true) => Err((
            at.key("file"),
            "an external object is made outside the stack and takes no file".into(),
        )),
        (None, false) => Err((
            at.clone(),
            "give a file, or external: true for one made outside the stack".into(),
        )),
        _ => Ok(()),
    }
}

/// The networks a service joins, by their key in the stack.
pub fn network_names(service: &Service) -> Vec<String> {
    match &service.networks {
        None => vec![DEFAULT_NETWORK.into()],
        Some(Networks::List(names)) => names.clone(),
        Some(Networks::Map(map)) => map.keys().cloned().collect(),
    }
}

//! The container muelle wants for a compose service: its Engine API body,
//! networks, volumes and published ports, and a hash of all of it (with the
//! image id) that tells whether a running container is still up to date.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{
    ContainerCreateBody, HealthConfig, HostConfig, PortBinding, RestartPolicy,
    RestartPolicyNameEnum,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::project::compose::{ComposeFile, Scalar, StringOrList, parse_duration};
use crate::project::{CONFIG_HASH_LABEL, Project, SERVICE_LABEL};

/// A port published on the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    /// Host address, empty for all.
    pub host_ip: String,
    /// Host port; `None` lets Docker choose.
    pub host_port: Option<u16>,
    /// Port inside the container.
    pub container_port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
}

/// Everything needed to create one service's container.
#[derive(Debug, Clone)]
pub struct ContainerSpec {
    /// The compose service.
    pub service: String,
    /// The container's name.
    pub name: String,
    /// The Engine API body, labels included.
    pub body: ContainerCreateBody,
    /// Docker networks with the aliases on each.
    pub networks: Vec<(String, Vec<String>)>,
    /// Docker names of the named volumes it mounts.
    pub volumes: Vec<String>,
    /// Ports published on the host.
    pub published: Vec<Published>,
    /// Seconds between SIGTERM and SIGKILL.
    pub stop_grace_secs: i32,
    /// Hash of the configuration and image id.
    pub hash: String,
}

/// Seconds compose waits before SIGKILL when `stop_grace_period` is unset.
pub const DEFAULT_STOP_GRACE_SECS: i32 = 10;

/// Parses `[ip:]host:container[/proto]` or `container[/proto]`.
pub fn parse_port(text: &str) -> Result<Published, String> {
    let (spec, protocol) = text.split_once('/').unwrap_or((text, "tcp"));
    let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
    let number = |s: &str| {
        s.parse::<u16>()
            .map_err(|_| format!("port {text:?}: {s:?} is not a port number"))
    };
    let (host_ip, host_port, container) = match parts.as_slice() {
        [container] => (String::new(), None, number(container)?),
        [container, host] => (String::new(), Some(number(host)?), number(container)?),
        [container, host, ip] => (
            ip.trim_matches(['[', ']']).to_owned(),
            Some(number(host)?),
            number(container)?,
        ),
        _ => return Err(format!("port {text:?} is not [ip:]host:container")),
    };
    Ok(Published {
        host_ip,
        host_port,
        container_port: container,
        protocol: protocol.to_owned(),
    })
}

fn nanos(text: &Option<String>) -> Option<i64> {
    text.as_deref()
        .and_then(|t| parse_duration(t).ok())
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Builds the container spec of `service`, whose image has content id `image_id`.
pub fn container(
    project: &Project,
    compose: &ComposeFile,
    service: &str,
    image_id: &str,
) -> Result<ContainerSpec, String> {
    let def = &compose.services[service];
    let lookup = |name: &str| project.lookup(name);
    let image = def.image.clone().unwrap_or_default();
    let env: Vec<String> = def
        .environment
        .as_ref()
        .map(|e| {
            e.pairs(&lookup)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect()
        })
        .unwrap_or_default();
    let mut published = Vec::new();
    for port in &def.ports {
        let text = match port {
            Scalar::Text(t) => t.clone(),
            Scalar::Number(n) => n.to_string(),
        };
        published.push(parse_port(&text).map_err(|e| format!("services.{service}.ports: {e}"))?);
    }
    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &published {
        port_bindings
            .entry(format!("{}/{}", p.container_port, p.protocol))
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: Some(p.host_ip.clone()),
                host_port: Some(p.host_port.map(|h| h.to_string()).unwrap_or_default()),
            });
    }
    let mut exposed: Vec<String> = port_bindings.keys().cloned().collect();
    exposed.sort();
    let mut binds = Vec::new();
    let mut volumes = Vec::new();
    for mount in &def.volumes {
        let mut parts = mount.splitn(3, ':');
        let (source, target, mode) = (parts.next().unwrap_or_default(), parts.next(), parts.next());
        let Some(target) = target else { continue };
        let source =
            if source.starts_with('.') || source.starts_with('/') || source.starts_with('~') {
                let base = project.compose_path().parent().unwrap_or(&project.root);
                base.join(source).to_string_lossy().into_owned()
            } else if compose.volumes.contains_key(source) {
                let name = project.volume_name(source);
                volumes.push(name.clone());
                name
            } else {
                return Err(format!(
                    "services.{service}.volumes: `{source}` is not declared under volumes"
                ));
            };
        binds.push(match mode {
            Some(mode) => format!("{source}:{target}:{mode}"),
            None => format!("{source}:{target}"),
        });
    }
    if let Some(binary) = project.watch_binaries.get(service) {
        binds.push(format!(
            "{}:{}:ro",
            binary.display(),
            project.manifest.build.binary_path.display()
        ));
    }
    let networks: Vec<(String, Vec<String>)> = def
        .network_names()
        .into_iter()
        .map(|n| {
            let mut aliases = vec![service.to_owned()];
            aliases.extend(def.aliases(&n));
            (project.network_name(&n), aliases)
        })
        .collect();
    let healthcheck = def.healthcheck.as_ref().map(|h| HealthConfig {
        test: h.test_words(),
        interval: nanos(&h.interval),
        timeout: nanos(&h.timeout),
        retries: h.retries.map(i64::from),
        start_period: nanos(&h.start_period),
        start_interval: None,
    });
    let restart = def.restart.as_deref().map(|r| RestartPolicy {
        name: Some(match r {
            "always" => RestartPolicyNameEnum::ALWAYS,
            "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
            "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
            _ => RestartPolicyNameEnum::NO,
        }),
        maximum_retry_count: None,
    });
    let stop_grace_secs = def
        .stop_grace_period
        .as_deref()
        .and_then(|p| parse_duration(p).ok())
        .map_or(DEFAULT_STOP_GRACE_SECS, |d| {
            i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
        });
    let mut labels: BTreeMap<String, String> = project.labels();
    labels.insert(SERVICE_LABEL.into(), service.to_owned());
    labels.insert("com.docker.compose.container-number".into(), "1".into());
    labels.insert("com.docker.compose.oneoff".into(), "False".into());
    labels.insert(
        "com.docker.compose.project.config_files".into(),
        project.compose_path().to_string_lossy().into_owned(),
    );
    labels.insert(
        "com.docker.compose.project.working_dir".into(),
        project
            .compose_path()
            .parent()
            .unwrap_or(&project.root)
            .to_string_lossy()
            .into_owned(),
    );
    if let Some(extra) = &def.labels {
        labels.extend(extra.pairs(&lookup));
    }
    let words = |key: &str, command: &Option<StringOrList>| {
        command
            .as_ref()
            .map(|c| c.words())
            .transpose()
            .map_err(|e| format!("services.{service}.{key}: {e}"))
    };
    let mut body = ContainerCreateBody {
        image: Some(image),
        env: Some(env),
        cmd: words("command", &def.command)?,
        entrypoint: words("entrypoint", &def.entrypoint)?,
        user: def.user.clone(),
        exposed_ports: Some(exposed),
        healthcheck,
        stop_timeout: Some(i64::from(stop_grace_secs)),
        host_config: Some(HostConfig {
            binds: Some(binds),
            port_bindings: Some(port_bindings),
            restart_policy: restart,
            init: None,
            ..Default::default()
        }),
        ..Default::default()
    };
    // Hash only ordered data: the body's port map is a HashMap.
    let hash = {
        let host = body.host_config.as_ref();
        let canonical = serde_json::json!({
            "image_id": image_id,
            "image": body.image,
            "env": body.env,
            "cmd": body.cmd,
            "entrypoint": body.entrypoint,
            "user": body.user,
            "healthcheck": body.healthcheck,
            "published": published,
            "binds": host.and_then(|h| h.binds.clone()),
            "restart": host.and_then(|h| h.restart_policy.as_ref()).and_then(|r| r.name).map(|n| n.to_string()),
            "stop": stop_grace_secs,
            "networks": networks,
            "labels": labels,
        });
        let digest = Sha256::digest(canonical.to_string().as_bytes());
        hex::encode(&digest[..8])
    };
    labels.insert(CONFIG_HASH_LABEL.into(), hash.clone());
    body.labels = Some(labels.into_iter().collect());
    Ok(ContainerSpec {
        service: service.to_owned(),
        name: project.container_name(service),
        body,
        networks,
        volumes,
        published,
        stop_grace_secs,
        hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        let p = parse_port("5000:8080").unwrap();
        assert_eq!(
            (p.host_port, p.container_port, p.protocol.as_str()),
            (Some(5000), 8080, "tcp")
        );
        let p = parse_port("127.0.0.1:5001:8080/udp").unwrap();
        assert_eq!(
            (p.host_ip.as_str(), p.host_port, p.protocol.as_str()),
            ("127.0.0.1", Some(5001), "udp")
        );
        assert_eq!(parse_port("8080").unwrap().host_port, None);
        assert!(parse_port("http:80").is_err());
    }
}

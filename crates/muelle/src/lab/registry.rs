//! The lab's registry (the stand-in from registry.Dockerfile), published
//! on a fixed loopback port P chosen once, so `127.0.0.1:P/…` names the same
//! images on the host (which pushes) and on every node (which forwards its
//! own 127.0.0.1:P to it); and the stand-in images the stack needs, pushed
//! there and named by digest.

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};

use super::names::{Names, role};
use super::objects;
use crate::engine::images;
use crate::error::Result;
use crate::registry::Registry;
use crate::ui::progress::Progress;

/// The port the registry listens on inside the lab.
pub const PORT: u16 = 5000;
/// Tries at a free host port before giving up (another process may take
/// the one just found).
const PORT_TRIES: usize = 3;
/// The stand-ins the stacks pull from the lab registry, by the variable
/// that names each: the app's, then the monitoring stack's.
pub const STAND_INS: [(&str, &str); 8] = [
    ("CADDY_IMAGE", "caddy"),
    ("REDIS_IMAGE", "redis"),
    ("POSTGRES_IMAGE", "postgres"),
    ("PROMETHEUS_IMAGE", "prometheus"),
    ("ALERTMANAGER_IMAGE", "alertmanager"),
    ("NODE_EXPORTER_IMAGE", "exporter-node"),
    ("REDIS_EXPORTER_IMAGE", "exporter-redis"),
    ("POSTGRES_EXPORTER_IMAGE", "exporter-postgres"),
];

/// Makes and starts the registry unless it runs; returns its host port.
pub async fn ensure(host: &Docker, names: &Names, image: &str) -> Result<u16> {
    let name = names.registry();
    let volume = Names::volume(&name);
    objects::ensure_volume(host, &volume, names.labels(role::REGISTRY, None)).await?;
    let mut tries = 0;
    loop {
        let (exposed, bindings) = objects::publish(&[(PORT, objects::free_port()?)]);
        let body = ContainerCreateBody {
            image: Some(image.to_owned()),
            labels: Some(names.labels(role::REGISTRY, None)),
            exposed_ports: Some(exposed),
            host_config: Some(HostConfig {
                binds: Some(vec![format!("{volume}:/var/lib/registry")]),
                port_bindings: Some(bindings),
                ..Default::default()
            }),
            ..Default::default()
        };
        match objects::ensure_container(host, names, &name, &["registry"], body).await {
            Ok(_) => break,
            Err(crate::Error::Engine(e)) if e.is_port_taken() && tries < PORT_TRIES => {
                tries += 1;
                crate::engine::containers::remove(host, &name).await?;
            }
            Err(e) => return Err(e),
        }
    }
    objects::wait_up(host, std::slice::from_ref(&name)).await?;
    port(host, names).await
}

/// The registry's host port, from its container.
pub async fn port(host: &Docker, names: &Names) -> Result<u16> {
    let name = names.registry();
    let found = crate::engine::containers::inspect(host, &name).await?;
    found
        .as_ref()
        .and_then(|c| objects::host_port(c, PORT))
        .ok_or_else(|| {
            super::Error::Incomplete {
                name: names.lab().to_owned(),
                missing: format!("{name} publishes no port"),
            }
            .into()
        })
}

/// The repository of a stand-in in the lab registry, e.g. `muelle/caddy`.
pub fn repository(recipe: &str) -> String {
    format!("muelle/{recipe}")
}

/// Pushes each stand-in (local tag `muelle/<recipe>:<suite>`) to the lab
/// registry unless it holds that image already (the lab's variables name
/// them by digest: `127.0.0.1:P/muelle/<recipe>@sha256:…`).
pub async fn push_stand_ins(
    host: &Docker,
    registry: &str,
    suite: &str,
    progress: &Progress,
) -> Result<()> {
    let mut client = Registry::new(
        registry,
        None,
        "the lab registry needs no credentials".into(),
    )?;
    for (_, recipe) in STAND_INS {
        let repository = repository(recipe);
        let remote = format!("{registry}/{repository}");
        let local = format!("{repository}:{suite}");
        let pushed = client.digest(&repository, suite).await?;
        let current = match (&pushed, host.inspect_image(&local).await) {
            (Some(digest), Ok(image)) => image
                .repo_digests
                .unwrap_or_default()
                .contains(&format!("{remote}@{digest}")),
            _ => false,
        };
        if !current {
            push(host, &local, &remote, suite, progress).await?;
        }
    }
    Ok(())
}

/// Tags `local` as `remote:tag` and pushes it.
async fn push(
    host: &Docker,
    local: &str,
    remote: &str,
    tag: &str,
    progress: &Progress,
) -> Result<()> {
    images::tag(host, local, remote, tag).await?;
    crate::image::push::push_shown(host, remote, tag, None, progress).await?;
    Ok(())
}

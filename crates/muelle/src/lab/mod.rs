//! `muelle lab`: a real multi-node Docker Swarm on one machine, as kind and
//! k3d make Kubernetes clusters. docker-in-docker nodes on a private
//! network (node 1 the manager), a registry every node pulls from, pebble
//! as the ACME server, the stand-in images the stack needs pushed there.
//! Everything on the host engine is labelled `muelle.lab=<name>`, so `up`
//! completes what exists, `down` removes all of it and [`find`] reads a
//! lab back from the engine alone.

mod info;
pub mod names;
mod nodes;
mod objects;
mod pebble;
mod registry;
pub mod state;
mod swarm_init;

use std::path::{Path, PathBuf};

use bollard::Docker;

pub use crate::error::lab::Error;
pub use info::{Ingress, LabInfo, LabNode, Pebble, find};
pub use names::MAX_NODES;
use names::{Names, role};
use nodes::NodeSettings;

use crate::engine::{self, Endpoint, containers, networks, volumes};
use crate::error::Result;
use crate::image::bases;
use crate::project::manifest::Bases;
use crate::ui::progress::Progress;

/// The lab's name when none is given.
pub const DEFAULT_NAME: &str = "muelle-lab";
/// The environment variable naming the lab (`--name`).
pub const NAME_ENV: &str = "MUELLE_LAB";
/// The domain the lab's ingress gets a certificate for, by default.
pub const DEFAULT_DOMAIN: &str = "voting.lab.test";
/// Seconds a container gets to stop on `down` before it is killed; the
/// data goes anyway.
const STOP_GRACE_SECS: i32 = 3;

/// What `lab up` makes.
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// The lab's name.
    pub name: String,
    /// Its nodes, the manager included (1..=9).
    pub nodes: usize,
    /// The domain the ingress certificate is for.
    pub domain: String,
    /// Where to keep its state when the lab is new.
    pub state_dir: PathBuf,
}

/// The lab's name from `MUELLE_LAB`, else [`DEFAULT_NAME`]: what the `lab`
/// environment of the other commands resolves.
pub fn name_from_env() -> String {
    std::env::var(NAME_ENV)
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| DEFAULT_NAME.to_owned())
}

/// Makes the lab, or completes it: each part is made only when missing and
/// started when stopped, so a second run with the lab up changes nothing.
pub async fn up(
    host: &Docker,
    root: &Path,
    bases: &Bases,
    opts: &LabOptions,
    progress: &Progress,
) -> Result<LabInfo> {
    let names = Names::new(&opts.name)?;
    let state_dir = settle(host, &names, opts).await?;
    state::create(&state_dir)?;
    let image =
        async |recipe: &str| bases::ensure(host, root, bases, recipe, progress, false).await;
    let node_image = image("node").await?;
    let registry_image = image("registry").await?;
    let pebble_image = image("pebble").await?;
    for (_, recipe) in registry::STAND_INS {
        image(recipe).await?;
    }

    let task = progress.task(format!(
        "lab {}: network, registry and {} nodes",
        opts.name, opts.nodes
    ));
    let mut labels = names.labels(role::NETWORK, None);
    labels.insert(names::DOMAIN_LABEL.into(), opts.domain.clone());
    labels.insert(
        names::STATE_LABEL.into(),
        state_dir.to_string_lossy().into_owned(),
    );
    labels.insert(names::SUITE_LABEL.into(), bases.suite.clone());
    objects::ensure_network(host, &names, labels).await?;
    let registry_port = registry::ensure(host, &names, &registry_image).await?;
    task.status("waiting for the nodes' engines");
    let settings = NodeSettings {
        image: &node_image,
        registry_port,
    };
    nodes::ensure(host, &names, opts.nodes, &settings).await?;
    task.done("running");

    let task = progress.task(format!("lab {}: swarm of {} nodes", opts.name, opts.nodes));
    let manager = containers::inspect(host, &names.node(1))
        .await?
        .ok_or_else(|| Error::Incomplete {
            name: opts.name.clone(),
            missing: format!("no container {}", names.node(1)),
        })?;
    let manager_ip = objects::address(&manager, names.network()).unwrap_or_default();
    let engine_port = objects::host_port(&manager, nodes::ENGINE_PORT).unwrap_or_default();
    let endpoint = Endpoint::parse(&format!("tcp://127.0.0.1:{engine_port}"), None)?;
    let manager_engine = engine::connect(&endpoint).await?;
    swarm_init::ensure(host, &manager_engine, &names, opts.nodes, &manager_ip).await?;
    task.done("ready");

    let task = progress.task(format!("lab {}: pebble, stand-ins", opts.name));
    pebble::ensure(host, &names, &pebble_image, &manager_ip, &state_dir).await?;
    registry::push_stand_ins(
        host,
        &format!("127.0.0.1:{registry_port}"),
        &bases.suite,
        progress,
    )
    .await?;
    state::db_password(&state_dir)?;
    task.done("ready");

    find(host, &opts.name).await?.ok_or_else(|| {
        Error::NotFound {
            name: opts.name.clone(),
        }
        .into()
    })
}

/// Checks `opts` against what exists of the lab; returns its state
/// directory (the one it was made with, when it exists).
async fn settle(host: &Docker, names: &Names, opts: &LabOptions) -> Result<PathBuf> {
    let differs = |existing: String, asked: String| Error::Differs {
        name: opts.name.clone(),
        existing,
        asked,
    };
    let existing = nodes::count(host, names).await?;
    if existing > opts.nodes {
        return Err(differs(format!("{existing} nodes"), format!("{} nodes", opts.nodes)).into());
    }
    let Some(labels) = networks::labels(host, names.network()).await? else {
        return Ok(opts.state_dir.clone());
    };
    let label = |key: &str| labels.get(key).cloned().unwrap_or_default();
    let domain = label(names::DOMAIN_LABEL);
    if domain != opts.domain {
        return Err(differs(
            format!("domain {domain}"),
            format!("domain {}", opts.domain),
        )
        .into());
    }
    Ok(labels
        .get(names::STATE_LABEL)
        .map_or_else(|| opts.state_dir.clone(), PathBuf::from))
}

/// What `lab down` removed.
#[derive(Debug, Clone, Default)]
pub struct Removed {
    /// Containers.
    pub containers: Vec<String>,
    /// Networks.
    pub networks: Vec<String>,
    /// Volumes.
    pub volumes: Vec<String>,
    /// The state directory, if there was one.
    pub state_dir: Option<PathBuf>,
}

impl Removed {
    /// Whether nothing of the lab was there.
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty()
            && self.networks.is_empty()
            && self.volumes.is_empty()
            && self.state_dir.is_none()
    }
}

/// Removes every container, network and volume labelled with the lab's
/// name, the host's names of the images pushed to its registry, and its
/// state directory; a lab that is not there is fine.
pub async fn down(host: &Docker, name: &str, progress: &Progress) -> Result<Removed> {
    let names = Names::new(name)?;
    let filter = names.filter();
    let labels = networks::labels(host, names.network())
        .await?
        .unwrap_or_default();
    let state_dir = match labels.get(names::STATE_LABEL) {
        Some(dir) => PathBuf::from(dir),
        None => state::default_dir(name)?,
    };
    // The host's names for what was pushed to the registry (the stand-ins
    // `up` pushed, `muelle push --env lab`) go with it.
    if let Ok(port) = registry::port(host, &names).await {
        let prefix = format!("127.0.0.1:{port}/");
        for pushed in crate::engine::images::names_under(host, &prefix).await? {
            crate::engine::images::untag(host, &pushed).await?;
        }
    }
    let mut removed = Removed::default();
    let found = containers::list(host, &filter).await?;
    if !found.is_empty() {
        let task = progress.task(format!("lab {name}: remove {} containers", found.len()));
        let stops = found.iter().map(|c| async {
            containers::stop(host, &c.name, STOP_GRACE_SECS).await?;
            containers::remove(host, &c.name).await
        });
        for result in futures::future::join_all(stops).await {
            result?;
        }
        task.done("removed");
        removed.containers = found.into_iter().map(|c| c.name).collect();
    }
    for network in networks::names(host, &filter).await? {
        networks::remove(host, &network).await?;
        removed.networks.push(network);
    }
    for volume in volumes::names(host, &filter).await? {
        volumes::remove(host, &volume).await?;
        removed.volumes.push(volume);
    }
    if state::remove(&state_dir)? {
        removed.state_dir = Some(state_dir);
    }
    Ok(removed)
}

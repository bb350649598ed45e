//! What a running lab is, read from the host engine (its containers'
//! labels, published ports and addresses, its network's labels), the
//! manager's engine (the swarm's nodes) and the lab registry (the
//! stand-ins' digests): the [`LabInfo`] that `lab status` prints and that
//! the `lab` environment resolves to.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bollard::Docker;
use bollard::models::ContainerInspectResponse;
use serde::Serialize;

use super::names::{self, Names};
use super::objects;
use super::{Error, nodes, pebble, registry, state, swarm_init};
use crate::engine::{self, Endpoint, containers, networks};
use crate::error::Result;

/// A lab, as scripts and the other commands see it.
#[derive(Debug, Clone, Serialize)]
pub struct LabInfo {
    /// The lab's name.
    pub name: String,
    /// Its nodes, the manager first.
    pub nodes: Vec<LabNode>,
    /// The manager's engine, `tcp://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The registry, `127.0.0.1:<port>`: the host pushes and the nodes pull by this name.
    pub registry: String,
    /// The ingress on the host's loopback.
    pub ingress: Ingress,
    /// The domain the ingress certificate is for.
    pub domain: String,
    /// The ACME server.
    pub pebble: Pebble,
    /// What the stack needs on the lab: CADDY_IMAGE, REDIS_IMAGE,
    /// POSTGRES_IMAGE (by digest), INGRESS_DOMAIN, LAB_PEBBLE_IP,
    /// ACME_CA_FILE, DB_PASSWORD_FILE.
    pub variables: BTreeMap<String, String>,
    /// Where the lab keeps its certificates and password.
    pub state_dir: PathBuf,
}

/// One node of a lab.
#[derive(Debug, Clone, Serialize)]
pub struct LabNode {
    /// The node's name, also its host name and container.
    pub name: String,
    /// `manager` or `worker`.
    pub role: String,
    /// Its address on the lab network.
    pub address: String,
    /// Its container on the host engine.
    pub container: String,
    /// Its state in the swarm (`ready`, `down`, …), `unknown` when the
    /// manager does not answer.
    pub state: String,
    /// Its availability in the swarm (`active`, `pause`, `drain`), or `unknown`.
    pub availability: String,
    /// Its container's state (`running`, `exited`, …).
    pub container_state: String,
}

/// The ingress URLs on the host's loopback.
#[derive(Debug, Clone, Serialize)]
pub struct Ingress {
    /// `http://127.0.0.1:<port>`.
    pub http: String,
    /// `https://127.0.0.1:<port>`.
    pub https: String,
}

/// The lab's ACME server.
#[derive(Debug, Clone, Serialize)]
pub struct Pebble {
    /// The ACME directory from the host, `https://127.0.0.1:<port>/dir`.
    pub directory: String,
    /// The CA of the directory's TLS certificate.
    pub ca_file: PathBuf,
    /// The root that signs the certificates pebble issues.
    pub root_file: PathBuf,
    /// Its address on the lab network.
    pub address: String,
}

/// Reads lab `name` from the host engine; `None` when it has no container.
pub async fn find(host: &Docker, name: &str) -> Result<Option<LabInfo>> {
    let names = Names::new(name)?;
    if containers::list(host, &names.filter()).await?.is_empty() {
        return Ok(None);
    }
    let incomplete = |missing: String| Error::Incomplete {
        name: name.to_owned(),
        missing,
    };
    let labels = networks::labels(host, names.network())
        .await?
        .ok_or_else(|| incomplete(format!("no network {}", names.network())))?;
    let manager = required(host, name, &names.node(1)).await?;
    let registry_container = required(host, name, &names.registry()).await?;
    let pebble_container = required(host, name, &names.pebble()).await?;
    let port = |c: &ContainerInspectResponse, port: u16, what: &str| {
        objects::host_port(c, port).ok_or_else(|| incomplete(format!("{what} is not published")))
    };
    let endpoint = format!(
        "tcp://127.0.0.1:{}",
        port(&manager, nodes::ENGINE_PORT, "the manager's engine")?
    );
    let registry = format!(
        "127.0.0.1:{}",
        port(&registry_container, registry::PORT, "the registry")?
    );
    let ingress = Ingress {
        http: format!(
            "http://127.0.0.1:{}",
            port(&manager, nodes::HTTP_PORT, "the ingress")?
        ),
        https: format!(
            "https://127.0.0.1:{}",
            port(&manager, nodes::HTTPS_PORT, "the ingress")?
        ),
    };
    let label = |key: &str| labels.get(key).cloned().unwrap_or_default();
    let state_dir = match labels.get(names::STATE_LABEL) {
        Some(dir) => PathBuf::from(dir),
        None => state::default_dir(name)?,
    };
    let pebble = Pebble {
        directory: format!(
            "https://127.0.0.1:{}/dir",
            port(&pebble_container, pebble::DIRECTORY_PORT, "pebble")?
        ),
        ca_file: state_dir.join(state::PEBBLE_CA),
        root_file: state_dir.join(state::PEBBLE_ROOT),
        address: objects::address(&pebble_container, names.network()).unwrap_or_default(),
    };
    let nodes = lab_nodes(host, &names, &manager, &endpoint).await?;
    let domain = label(names::DOMAIN_LABEL);
    let mut variables = stand_in_variables(&registry, &label(names::SUITE_LABEL)).await?;
    variables.insert("INGRESS_DOMAIN".into(), domain.clone());
    variables.insert("LAB_PEBBLE_IP".into(), pebble.address.clone());
    variables.insert("ACME_CA_FILE".into(), path_text(&pebble.ca_file));
    variables.insert(
        "DB_PASSWORD_FILE".into(),
        path_text(&state_dir.join(state::DB_PASSWORD)),
    );
    Ok(Some(LabInfo {
        name: name.to_owned(),
        nodes,
        endpoint,
        registry,
        ingress,
        domain,
        pebble,
        variables,
        state_dir,
    }))
}

/// The container `container` of lab `lab`, which must exist.
async fn required(host: &Docker, lab: &str, container: &str) -> Result<ContainerInspectResponse> {
    containers::inspect(host, container).await?.ok_or_else(|| {
        Error::Incomplete {
            name: lab.to_owned(),
            missing: format!("no container {container}"),
        }
        .into()
    })
}

fn path_text(path: &std::path::Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The lab's node containers, with what the swarm says of each when the
/// manager answers.
async fn lab_nodes(
    host: &Docker,
    names: &Names,
    manager: &ContainerInspectResponse,
    endpoint: &str,
) -> Result<Vec<LabNode>> {
    let mut filter = names.filter();
    filter.push(format!("{}={}", names::ROLE_LABEL, names::role::NODE));
    let mut found: Vec<String> = containers::list(host, &filter)
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    found.sort_by_key(|n| n.rsplit('-').next().and_then(|i| i.parse::<usize>().ok()));
    let swarm = if objects::is_running(manager) {
        let engine = engine::connect(&Endpoint::parse(endpoint, None)?).await?;
        swarm_init::nodes(&engine).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut result = Vec::new();
    for container in found {
        let inspected = containers::inspect(host, &container).await?;
        let in_swarm = swarm.iter().find(|n| swarm_init::hostname(n) == container);
        let unknown = || "unknown".to_owned();
        result.push(LabNode {
            name: container.clone(),
            role: if container == names.node(1) {
                "manager"
            } else {
                "worker"
            }
            .to_owned(),
            address: inspected
                .as_ref()
                .and_then(|c| objects::address(c, names.network()))
                .unwrap_or_default(),
            state: in_swarm
                .and_then(swarm_init::state)
                .map_or_else(unknown, |s| s.to_string()),
            availability: in_swarm
                .and_then(|n| n.spec.as_ref()?.availability)
                .map_or_else(unknown, |a| a.to_string()),
            container_state: inspected.as_ref().map(objects::state).unwrap_or_default(),
            container,
        });
    }
    Ok(result)
}

/// Each stand-in's variable (CADDY_IMAGE, PROMETHEUS_IMAGE, …) by the
/// digest the lab registry holds for its tag; those not pushed are left out.
async fn stand_in_variables(registry: &str, suite: &str) -> Result<BTreeMap<String, String>> {
    let mut client = crate::registry::Registry::new(registry, None, String::new())?;
    let mut variables = BTreeMap::new();
    for (variable, recipe) in registry::STAND_INS {
        let repository = registry::repository(recipe);
        if let Some(digest) = client.digest(&repository, suite).await? {
            variables.insert(
                variable.to_owned(),
                format!("{registry}/{repository}@{digest}"),
            );
        }
    }
    Ok(variables)
}

//! Applying a stack plan to a swarm: networks, secrets and configs made when
//! missing (by name; existing ones are left as they are, and secrets and
//! configs cannot change in Swarm, so new content comes under a new name),
//! then each service created, or updated on top of the version just
//! inspected, or left alone when Swarm already holds its spec.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use bollard::Docker;
use bollard::models::{ConfigSpec, SecretSpec, Service, ServiceSpec};

use super::{api, compare, healthcheck, verify};
use crate::error::swarm::Error;
use crate::stack::StackPlan;
use crate::ui::progress::Progress;

/// Label muelle puts on a service spec for the version deployed.
pub const VERSION_LABEL: &str = "muelle.version";

/// What applying did to a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Swarm did not run it; now it does.
    Created,
    /// Swarm got a new spec and rolls it out.
    Updated,
    /// Swarm already had this spec; nothing was sent.
    Unchanged,
}

/// A service after applying, with what the truth check will ask of it.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The name in the stack file (`vote`).
    pub service: String,
    /// The full name (`voting_vote`).
    pub name: String,
    /// What was done.
    pub change: Change,
    /// The image asked for.
    pub wanted: String,
    /// The `muelle.version` label asked for.
    pub version: Option<String>,
}

/// The ids of what services refer to by name.
#[derive(Debug, Default)]
pub struct References {
    /// Network ids by name.
    pub networks: HashMap<String, String>,
    secrets: HashMap<String, String>,
    configs: HashMap<String, String>,
}

/// Makes the plan's networks, secrets and configs that are missing;
/// returns the ids of everything services may refer to.
pub async fn objects(
    docker: &Docker,
    plan: &StackPlan,
    progress: &Progress,
) -> Result<References, Error> {
    let mut networks = api::network_ids(docker).await?;
    for request in &plan.networks {
        if !networks.contains_key(&request.name) {
            let name = request.name.clone();
            let id = api::create_network(docker, request.clone()).await?;
            progress.say(&format!("created network {name}"));
            networks.insert(name, id);
        }
    }
    Ok(References {
        networks,
        secrets: secrets(docker, &plan.secrets, progress).await?,
        configs: configs(docker, &plan.configs, progress).await?,
    })
}

async fn secrets(
    docker: &Docker,
    wanted: &[SecretSpec],
    progress: &Progress,
) -> Result<HashMap<String, String>, Error> {
    let mut ids: HashMap<String, String> = api::secrets(docker)
        .await?
        .into_iter()
        .filter_map(|s| Some((s.spec?.name?, s.id?)))
        .collect();
    for spec in wanted {
        let name = spec.name.clone().unwrap_or_default();
        if let Entry::Vacant(slot) = ids.entry(name) {
            let id = api::create_secret(docker, spec.clone()).await?;
            progress.say(&format!("created secret {}", slot.key()));
            slot.insert(id);
        }
    }
    Ok(ids)
}

async fn configs(
    docker: &Docker,
    wanted: &[ConfigSpec],
    progress: &Progress,
) -> Result<HashMap<String, String>, Error> {
    let existing = api::configs(docker).await?;
    let mut ids = HashMap::new();
    let mut data = HashMap::new();
    for config in existing {
        let (Some(id), Some(spec)) = (config.id, config.spec) else {
            continue;
        };
        let name = spec.name.unwrap_or_default();
        data.insert(name.clone(), spec.data);
        ids.insert(name, id);
    }
    for spec in wanted {
        let name = spec.name.clone().unwrap_or_default();
        match data.get(&name) {
            Some(existing) if *existing != spec.data => {
                return Err(Error::ConfigChanged { name });
            }
            Some(_) => {}
            None => {
                let id = api::create_config(docker, spec.clone())
                    .await
                    .map_err(crate::engine::failed(format!("create config {name}")))?;
                progress.say(&format!("created config {name}"));
                ids.insert(name, id);
            }
        }
    }
    Ok(ids)
}

/// Fills the ids of the secrets and configs `spec` names.
pub fn fill_references(spec: &mut ServiceSpec, references: &References) -> Result<(), Error> {
    let service = spec.name.clone().unwrap_or_default();
    let missing = |kind, name: &str| Error::MissingReference {
        service: service.clone(),
        kind,
        name: name.to_owned(),
    };
    let Some(container) = spec
        .task_template
        .as_mut()
        .and_then(|t| t.container_spec.as_mut())
    else {
        return Ok(());
    };
    for secret in container.secrets.iter_mut().flatten() {
        let name = secret.secret_name.clone().unwrap_or_default();
        let id = references.secrets.get(&name);
        secret.secret_id = Some(id.ok_or_else(|| missing("secret", &name))?.clone());
    }
    for config in container.configs.iter_mut().flatten() {
        let name = config.config_name.clone().unwrap_or_default();
        let id = references.configs.get(&name);
        config.config_id = Some(id.ok_or_else(|| missing("config", &name))?.clone());
    }
    Ok(())
}

/// Creates the service, or writes `desired` over the one Swarm runs.
pub async fn service(
    docker: &Docker,
    desired: ServiceSpec,
    networks: &HashMap<String, String>,
    progress: &Progress,
) -> Result<Change, Error> {
    let name = desired.name.clone().unwrap_or_default();
    let mut desired = desired;
    healthcheck::record(&mut desired);
    match api::service(docker, &name).await? {
        Some(current) => write(docker, &current, desired, false, networks, progress).await,
        None => {
            api::create_service(docker, desired).await?;
            progress.say(&format!("created service {name}"));
            Ok(Change::Created)
        }
    }
}

/// Writes `desired` over `current`, based on `current`'s version, unless
/// Swarm already holds it. `force` rolls the tasks out again even so (as
/// `docker service update --force`); otherwise the spec keeps the force
/// counter Swarm has, so that a deploy after a forced restart does not
/// restart again.
pub async fn write(
    docker: &Docker,
    current: &Service,
    mut desired: ServiceSpec,
    force: bool,
    networks: &HashMap<String, String>,
    progress: &Progress,
) -> Result<Change, Error> {
    let name = desired.name.clone().unwrap_or_default();
    let current_spec = current.spec.clone().unwrap_or_default();
    let counter = current_spec
        .task_template
        .as_ref()
        .and_then(|t| t.force_update)
        .unwrap_or(0);
    healthcheck::record(&mut desired);
    let template = desired.task_template.get_or_insert_with(Default::default);
    template.force_update = Some(counter + u64::from(force));
    if !force && compare::same_service(&desired, &current_spec, networks) {
        return Ok(Change::Unchanged);
    }
    let version = current.version.as_ref().and_then(|v| v.index).unwrap_or(0);
    let image = desired
        .task_template
        .as_ref()
        .map_or("", verify::image)
        .to_owned();
    api::update_service(docker, &name, desired, version).await?;
    progress.say(&format!("updated service {name} to {image}"));
    Ok(Change::Updated)
}

/// The image and version label a spec asks for.
pub fn wanted(spec: &ServiceSpec) -> (String, Option<String>) {
    let image = spec.task_template.as_ref().map_or("", verify::image);
    let version = spec
        .labels
        .as_ref()
        .and_then(|labels| labels.get(VERSION_LABEL))
        .cloned();
    (image.to_owned(), version)
}

//! The Engine API calls a deploy makes on a Swarm manager, one small function
//! each, so the steps read as what they do and every error says what was
//! being attempted.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{
    Config, ConfigSpec, NetworkCreateRequest, Secret, SecretSpec, Service, ServiceSpec, Task,
};
use bollard::query_parameters::{
    ListConfigsOptions, ListNetworksOptions, ListSecretsOptions, ListServicesOptions,
    ListTasksOptions, UpdateServiceOptions,
};

use super::healthcheck;
use crate::engine::{self, failed, is_not_found};
use crate::error::swarm::Error;

/// What swarmkit answers when an update names a version that is no longer
/// the service's (someone else wrote in between).
const OUT_OF_SEQUENCE: &str = "update out of sequence";

/// Filters for a list call.
fn filter(key: &str, value: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([(key.to_owned(), vec![value.to_owned()])])
}

/// The service named exactly `name`, with its task counts
/// (`ServiceStatus`) and its health check (see [`healthcheck`]), if Swarm
/// runs it. The Engine's name filter matches prefixes, so the exact name
/// is picked here.
pub async fn service(docker: &Docker, name: &str) -> Result<Option<Service>, Error> {
    let options = ListServicesOptions {
        filters: Some(filter("name", name)),
        status: Some(true),
    };
    let services = docker
        .list_services(Some(options))
        .await
        .map_err(failed(format!("inspect service {name}")))?;
    let mut found = services
        .into_iter()
        .find(|s| s.spec.as_ref().and_then(|spec| spec.name.as_deref()) == Some(name));
    if let Some(spec) = found.as_mut().and_then(|s| s.spec.as_mut()) {
        healthcheck::restore(spec);
    }
    Ok(found)
}

/// Every service carrying the label `key=value`.
pub async fn services_labelled(
    docker: &Docker,
    key: &str,
    value: &str,
) -> Result<Vec<Service>, Error> {
    let options = ListServicesOptions {
        filters: Some(filter("label", &format!("{key}={value}"))),
        status: None,
    };
    Ok(docker
        .list_services(Some(options))
        .await
        .map_err(failed(format!("list the services labelled {key}={value}")))?)
}

/// Every service carrying the label `key`, whatever its value.
pub async fn services_with_label(docker: &Docker, key: &str) -> Result<Vec<Service>, Error> {
    let options = ListServicesOptions {
        filters: Some(filter("label", key)),
        status: None,
    };
    Ok(docker
        .list_services(Some(options))
        .await
        .map_err(failed(format!("list the services labelled {key}")))?)
}

/// The tasks of one service, old and new.
pub async fn tasks(docker: &Docker, service_id: &str, name: &str) -> Result<Vec<Task>, Error> {
    let options = ListTasksOptions {
        filters: Some(filter("service", service_id)),
    };
    Ok(docker
        .list_tasks(Some(options))
        .await
        .map_err(failed(format!("list the tasks of {name}")))?)
}

/// Creates a service; returns its id.
pub async fn create_service(docker: &Docker, spec: ServiceSpec) -> Result<String, Error> {
    let name = spec.name.clone().unwrap_or_default();
    let created = docker
        .create_service(spec, None)
        .await
        .map_err(failed(format!("create service {name}")))?;
    Ok(created.id.unwrap_or_default())
}

/// Replaces a service's spec, based on the spec `version` muelle read;
/// a write by someone else since then is [`Error::Conflict`].
pub async fn update_service(
    docker: &Docker,
    name: &str,
    spec: ServiceSpec,
    version: u64,
) -> Result<(), Error> {
    let options = UpdateServiceOptions {
        version: i32::try_from(version).unwrap_or(i32::MAX),
        ..Default::default()
    };
    match docker.update_service(name, spec, options, None).await {
        Ok(_) => Ok(()),
        Err(e) if engine::words(&e).contains(OUT_OF_SEQUENCE) => Err(Error::Conflict {
            service: name.to_owned(),
            version,
        }),
        Err(e) => Err(failed(format!("update service {name}"))(e).into()),
    }
}

/// Every secret in the swarm (their data is never returned).
pub async fn secrets(docker: &Docker) -> Result<Vec<Secret>, Error> {
    Ok(docker
        .list_secrets(None::<ListSecretsOptions>)
        .await
        .map_err(failed("list secrets"))?)
}

/// Creates a secret; returns its id.
pub async fn create_secret(docker: &Docker, spec: SecretSpec) -> Result<String, Error> {
    let name = spec.name.clone().unwrap_or_default();
    let created = docker
        .create_secret(spec)
        .await
        .map_err(failed(format!("create secret {name}")))?;
    Ok(created.id)
}

/// Removes a secret; one already gone is fine.
pub async fn remove_secret(docker: &Docker, id: &str, name: &str) -> Result<(), engine::Error> {
    match docker.delete_secret(id).await {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other.map_err(failed(format!("remove secret {name}"))),
    }
}

/// Every config in the swarm, with its data.
pub async fn configs(docker: &Docker) -> Result<Vec<Config>, Error> {
    Ok(docker
        .list_configs(None::<ListConfigsOptions>)
        .await
        .map_err(failed("list configs"))?)
}

/// Creates a config; the daemon's error as it is, so that a caller can
/// tell a name conflict (409) apart.
pub async fn create_config(
    docker: &Docker,
    spec: ConfigSpec,
) -> Result<String, bollard::errors::Error> {
    Ok(docker.create_config(spec).await?.id)
}

/// Removes a config; one already gone is fine.
pub async fn remove_config(docker: &Docker, id: &str, name: &str) -> Result<(), engine::Error> {
    match docker.delete_config(id).await {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other.map_err(failed(format!("remove config {name}"))),
    }
}

/// Network ids by name, for every network the manager knows.
pub async fn network_ids(docker: &Docker) -> Result<HashMap<String, String>, Error> {
    let networks = docker
        .list_networks(None::<ListNetworksOptions>)
        .await
        .map_err(failed("list networks"))?;
    Ok(networks
        .into_iter()
        .filter_map(|n| Some((n.name?, n.id?)))
        .collect())
}

/// Creates a network; returns its id.
pub async fn create_network(
    docker: &Docker,
    request: NetworkCreateRequest,
) -> Result<String, Error> {
    let name = request.name.clone();
    let created = docker
        .create_network(request)
        .await
        .map_err(failed(format!("create network {name}")))?;
    Ok(created.id)
}

//! Networks: list the project's, read one's labels, create and remove them.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::NetworkCreateRequest;
use bollard::query_parameters::{InspectNetworkOptions, ListNetworksOptions};

use super::{Result, failed, is_not_found, label_filter};

/// Names of the networks carrying all of `labels`.
pub async fn names(docker: &Docker, labels: &[String]) -> Result<Vec<String>> {
    let options = ListNetworksOptions {
        filters: Some(label_filter(labels)),
    };
    let networks = docker
        .list_networks(Some(options))
        .await
        .map_err(failed("list networks"))?;
    Ok(networks.into_iter().filter_map(|n| n.name).collect())
}

/// The labels of the network `name`, `None` when there is none by that name.
pub async fn labels(docker: &Docker, name: &str) -> Result<Option<HashMap<String, String>>> {
    match docker
        .inspect_network(name, None::<InspectNetworkOptions>)
        .await
    {
        Ok(network) => Ok(Some(network.labels.unwrap_or_default())),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(failed(format!("inspect network {name}"))(e)),
    }
}

/// Creates a bridge network.
pub async fn create(docker: &Docker, name: &str, labels: HashMap<String, String>) -> Result<()> {
    let request = NetworkCreateRequest {
        name: name.to_owned(),
        driver: Some("bridge".into()),
        labels: Some(labels),
        ..Default::default()
    };
    docker
        .create_network(request)
        .await
        .map_err(failed(format!("create network {name}")))?;
    Ok(())
}

/// Removes a network; one already gone is fine.
pub async fn remove(docker: &Docker, name: &str) -> Result<()> {
    match docker.remove_network(name).await {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other.map_err(failed(format!("remove network {name}"))),
    }
}

//! Named volumes: list the project's, create and remove them.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::{ListVolumesOptions, RemoveVolumeOptions};

use super::{Result, failed, is_not_found, label_filter};

/// Names of the volumes carrying all of `labels`.
pub async fn names(docker: &Docker, labels: &[String]) -> Result<Vec<String>> {
    let options = ListVolumesOptions {
        filters: Some(label_filter(labels)),
    };
    let list = docker
        .list_volumes(Some(options))
        .await
        .map_err(failed("list volumes"))?;
    Ok(list
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.name)
        .collect())
}

/// Creates a local volume.
pub async fn create(docker: &Docker, name: &str, labels: HashMap<String, String>) -> Result<()> {
    let request = VolumeCreateRequest {
        name: Some(name.to_owned()),
        labels: Some(labels),
        ..Default::default()
    };
    docker
        .create_volume(request)
        .await
        .map_err(failed(format!("create volume {name}")))?;
    Ok(())
}

/// Removes a volume and its data; one already gone is fine.
pub async fn remove(docker: &Docker, name: &str) -> Result<()> {
    match docker
        .remove_volume(name, Some(RemoveVolumeOptions { force: false }))
        .await
    {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other.map_err(failed(format!("remove volume {name}"))),
    }
}

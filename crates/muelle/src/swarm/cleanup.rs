//! Removing a stack's secrets and configs that no service of the stack uses
//! any more: the old content hashes a changed secret leaves behind. Run only
//! after every service converged, so that a service still rolling (or
//! rolled back) to the old secret keeps it. One Swarm still refuses to
//! remove stays, with a warning: it is harmless and goes next time.

use std::collections::HashSet;

use bollard::Docker;
use bollard::models::ServiceSpec;

use super::api;
use crate::error::swarm::Error;
use crate::stack::NAMESPACE_LABEL;
use crate::ui::progress::Progress;

/// Removes the unused secrets and configs of `stack`; returns what went,
/// as `secret NAME` and `config NAME`.
pub async fn unused(
    docker: &Docker,
    stack: &str,
    progress: &Progress,
) -> Result<Vec<String>, Error> {
    let services = api::services_labelled(docker, NAMESPACE_LABEL, stack).await?;
    let specs: Vec<&ServiceSpec> = services.iter().filter_map(|s| s.spec.as_ref()).collect();
    let (secrets_used, configs_used) = references(&specs);
    let ours = |labels: Option<&std::collections::HashMap<String, String>>| {
        labels
            .and_then(|l| l.get(NAMESPACE_LABEL))
            .map(String::as_str)
            == Some(stack)
    };
    let mut removed = Vec::new();
    for secret in api::secrets(docker).await? {
        let (Some(id), Some(spec)) = (secret.id, secret.spec) else {
            continue;
        };
        if ours(spec.labels.as_ref()) && !secrets_used.contains(&id) {
            let name = spec.name.unwrap_or_default();
            match api::remove_secret(docker, &id, &name).await {
                Ok(()) => removed.push(format!("secret {name}")),
                Err(e) => progress.say(&format!("kept secret {name}: {e}")),
            }
        }
    }
    for config in api::configs(docker).await? {
        let (Some(id), Some(spec)) = (config.id, config.spec) else {
            continue;
        };
        if ours(spec.labels.as_ref()) && !configs_used.contains(&id) {
            let name = spec.name.unwrap_or_default();
            match api::remove_config(docker, &id, &name).await {
                Ok(()) => removed.push(format!("config {name}")),
                Err(e) => progress.say(&format!("kept config {name}: {e}")),
            }
        }
    }
    for line in &removed {
        progress.say(&format!("removed unused {line}"));
    }
    Ok(removed)
}

/// The ids of the secrets and of the configs the specs refer to.
fn references(specs: &[&ServiceSpec]) -> (HashSet<String>, HashSet<String>) {
    let containers = specs
        .iter()
        .filter_map(|s| s.task_template.as_ref()?.container_spec.as_ref());
    let mut secrets = HashSet::new();
    let mut configs = HashSet::new();
    for container in containers {
        let secret_ids = container.secrets.iter().flatten();
        secrets.extend(secret_ids.filter_map(|s| s.secret_id.clone()));
        let config_ids = container.configs.iter().flatten();
        configs.extend(config_ids.filter_map(|c| c.config_id.clone()));
    }
    (secrets, configs)
}

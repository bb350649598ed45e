//! The alerts firing now, as the swarm's own Alertmanager tells them (for
//! `muelle status`). The Alertmanager is found, like Prometheus finds it,
//! by its service label `prometheus.alertmanager.port`, and reached where
//! that port is published: in host mode on the node of its running task,
//! through the routing mesh on any node. Reading alerts never fails a
//! status: an Alertmanager that does not answer is reported as such.

use std::collections::BTreeMap;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{EndpointPortConfig, Service, TaskState};
use serde::{Deserialize, Serialize};

use super::api;
use crate::error::swarm::Error;

/// The service label that names the Alertmanager's port (monitoring.yaml).
pub const ALERTMANAGER_LABEL: &str = "prometheus.alertmanager.port";

/// How long the Alertmanager gets to answer.
const TIMEOUT: Duration = Duration::from_secs(3);

/// The active alerts: not silenced, not inhibited.
const ALERTS_PATH: &str = "/api/v2/alerts?active=true&silenced=false&inhibited=false";

/// What `status` can say of the alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Alerts {
    /// No service of the swarm carries [`ALERTMANAGER_LABEL`].
    NoAlertmanager,
    /// There is one, but it could not be asked.
    Unknown {
        /// Where it was asked, when that much was found.
        url: Option<String>,
        /// Why there is no answer.
        reason: String,
    },
    /// What it answered.
    Firing {
        /// Its address.
        url: String,
        /// The alerts firing, oldest first.
        alerts: Vec<Alert>,
    },
}

/// One alert firing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// `alertname`.
    pub name: String,
    /// `severity`, empty when the rule gives none.
    pub severity: String,
    /// The annotation `summary`.
    pub summary: String,
    /// When it started firing, RFC 3339.
    pub since: String,
    /// Its other labels (`job`, `instance`, …).
    pub labels: BTreeMap<String, String>,
}

/// An alert as Alertmanager's API v2 gives it (the fields read here).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Gettable {
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: String,
}

/// Asks the swarm's Alertmanager for the alerts firing now.
pub async fn read(docker: &Docker) -> Alerts {
    let url = match find(docker).await {
        Ok(Some(url)) => url,
        Ok(None) => return Alerts::NoAlertmanager,
        Err(reason) => return Alerts::Unknown { url: None, reason },
    };
    match ask(&url).await {
        Ok(alerts) => Alerts::Firing { url, alerts },
        Err(reason) => Alerts::Unknown {
            url: Some(url),
            reason,
        },
    }
}

/// The Alertmanager's base URL, `None` when the swarm runs none.
async fn find(docker: &Docker) -> Result<Option<String>, String> {
    let words = |e: Error| e.to_string();
    let services = api::services_with_label(docker, ALERTMANAGER_LABEL)
        .await
        .map_err(words)?;
    let Some(service) = services.first() else {
        return Ok(None);
    };
    let name = service_name(service);
    let port = service
        .spec
        .as_ref()
        .and_then(|s| s.labels.as_ref()?.get(ALERTMANAGER_LABEL))
        .and_then(|p| p.parse::<i64>().ok())
        .ok_or_else(|| format!("{name}: label {ALERTMANAGER_LABEL} is not a port number"))?;
    let ports = service.endpoint.as_ref().and_then(|e| e.ports.as_ref());
    let published = ports
        .into_iter()
        .flatten()
        .find(|p| p.target_port == Some(port))
        .ok_or_else(|| format!("{name} does not publish its port {port}"))?;
    let id = service.id.clone().unwrap_or_default();
    let tasks = api::tasks(docker, &id, &name).await.map_err(words)?;
    let running = tasks.iter().find(|t| {
        t.status.as_ref().and_then(|s| s.state) == Some(TaskState::RUNNING) && t.node_id.is_some()
    });
    let Some(node) = running.and_then(|t| t.node_id.as_deref()) else {
        return Err(format!("{name} has no running task"));
    };
    let node = docker
        .inspect_node(node)
        .await
        .map_err(|e| format!("inspect the node of {name}: {}", crate::engine::words(&e)))?;
    let address = node
        .status
        .and_then(|s| s.addr)
        .ok_or_else(|| format!("the node of {name} has no address"))?;
    Ok(Some(base_url(&address, published)))
}

/// `http://ADDRESS:PUBLISHED`: a port published in host mode answers on
/// the node of its task, one published through the routing mesh on any.
fn base_url(address: &str, port: &EndpointPortConfig) -> String {
    format!(
        "http://{address}:{}",
        port.published_port.unwrap_or_default()
    )
}

fn service_name(service: &Service) -> String {
    service
        .spec
        .as_ref()
        .and_then(|s| s.name.clone())
        .unwrap_or_default()
}

/// GETs the active alerts from `url`.
async fn ask(url: &str) -> Result<Vec<Alert>, String> {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let response = client
        .get(format!("{url}{ALERTS_PATH}"))
        .send()
        .await
        .map_err(|e| format!("no answer ({})", crate::registry::innermost(&e)))?;
    if !response.status().is_success() {
        return Err(format!("it answered {}", response.status()));
    }
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    parse(&body)
}

/// The alerts of an API v2 answer, oldest first.
pub fn parse(body: &[u8]) -> Result<Vec<Alert>, String> {
    let gettable: Vec<Gettable> = serde_json::from_slice(body)
        .map_err(|e| format!("its answer is not a list of alerts: {e}"))?;
    let mut alerts: Vec<Alert> = gettable
        .into_iter()
        .map(|mut g| Alert {
            name: g.labels.remove("alertname").unwrap_or_default(),
            severity: g.labels.remove("severity").unwrap_or_default(),
            summary: g.annotations.remove("summary").unwrap_or_default(),
            since: g.starts_at,
            labels: g.labels,
        })
        .collect();
    alerts.sort_by(|a, b| (&a.since, &a.name).cmp(&(&b.since, &b.name)));
    Ok(alerts)
}

/// Label pairs as `k=v k=v`, for a line.
pub fn label_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;

//! The lab's ACME server: Debian's pebble (pebble.Dockerfile), whose DNS
//! answers the manager's address for every name, so HTTP-01 and
//! TLS-ALPN-01 challenges reach the ingress on the manager. Its directory's
//! TLS CA and the root that signs what it issues are copied into the lab's
//! state directory for the stack (ACME_CA_FILE) and for tests.

use std::path::Path;
use std::time::Duration;

use bollard::Docker;
use bollard::models::ContainerCreateBody;

use super::Error;
use super::names::{Names, role};
use super::objects::{self, Made};
use super::state;
use crate::engine::containers;
use crate::error::Result;

/// The ACME directory's port.
pub const DIRECTORY_PORT: u16 = 14000;
/// The management API's port (`/roots/0`).
pub const MANAGEMENT_PORT: u16 = 15000;
/// Where the image keeps the CA of the directory's TLS certificate.
const CA_PATH: &str = "/etc/pebble/certs/ca.pem";
/// How long pebble may take to answer after its container starts.
const ANSWER_DEADLINE: Duration = Duration::from_secs(30);

/// Makes and starts pebble unless it runs with `domain_ip` (the manager's
/// lab address; a pebble made for another address is made anew), then
/// copies its CA and root into `state_dir`.
pub async fn ensure(
    host: &Docker,
    names: &Names,
    image: &str,
    domain_ip: &str,
    state_dir: &Path,
) -> Result<Made> {
    let name = names.pebble();
    if let Some(found) = containers::inspect(host, &name).await? {
        if objects::env(&found, "PEBBLE_DOMAIN_IP").as_deref() != Some(domain_ip) {
            containers::remove(host, &name).await?;
        }
    }
    let (exposed, bindings) = objects::publish(&[(DIRECTORY_PORT, 0), (MANAGEMENT_PORT, 0)]);
    let body = ContainerCreateBody {
        image: Some(image.to_owned()),
        env: Some(vec![format!("PEBBLE_DOMAIN_IP={domain_ip}")]),
        labels: Some(names.labels(role::PEBBLE, None)),
        exposed_ports: Some(exposed),
        host_config: Some(bollard::models::HostConfig {
            port_bindings: Some(bindings),
            ..Default::default()
        }),
        ..Default::default()
    };
    let made = objects::ensure_container(host, names, &name, &["pebble"], body).await?;
    objects::wait_up(host, std::slice::from_ref(&name)).await?;
    copy_certificates(host, &name, state_dir).await?;
    Ok(made)
}

/// Copies the directory's CA out of the container and fetches the issuing
/// root over TLS verified with it, once pebble answers.
async fn copy_certificates(host: &Docker, name: &str, state_dir: &Path) -> Result<()> {
    let command = ["cat".to_owned(), CA_PATH.to_owned()];
    let started = std::time::Instant::now();
    // The entrypoint writes the CA before pebble starts: wait for both.
    let (ca, root) = loop {
        let attempt = async {
            let ca = containers::exec(host, "pebble", name, &command).await?;
            let found = containers::inspect(host, name).await?;
            let port = found
                .as_ref()
                .and_then(|c| objects::host_port(c, MANAGEMENT_PORT))
                .unwrap_or_default();
            let root = fetch_root(&ca, port).await?;
            Ok::<_, crate::Error>((ca, root))
        };
        match attempt.await {
            Ok(found) => break found,
            Err(e) if started.elapsed() > ANSWER_DEADLINE => return Err(e),
            Err(e) => tracing::debug!("pebble not answering yet: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    state::write_if_changed(&state_dir.join(state::PEBBLE_CA), ca.as_bytes())?;
    state::write_if_changed(&state_dir.join(state::PEBBLE_ROOT), root.as_bytes())?;
    Ok(())
}

/// The root that signs pebble's certificates, from its management API on
/// the host's loopback, verified with the directory's CA `ca_pem`.
async fn fetch_root(ca_pem: &str, port: u16) -> Result<String> {
    let url = format!("https://127.0.0.1:{port}/roots/0");
    let failed = |reason: String| Error::PebbleRoot {
        url: url.clone(),
        reason,
    };
    let ca =
        reqwest::Certificate::from_pem(ca_pem.as_bytes()).map_err(|e| failed(e.to_string()))?;
    let client = reqwest::Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let response = client
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| failed(crate::registry::innermost(&e)))?;
    let text = response.text().await.map_err(|e| failed(e.to_string()))?;
    if !text.contains("BEGIN CERTIFICATE") {
        return Err(failed("the answer is not a PEM certificate".into()).into());
    }
    Ok(text)
}

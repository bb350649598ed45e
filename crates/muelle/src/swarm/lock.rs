//! One deploy of a stack at a time: a Swarm config named
//! `muelle-deploy-lock-<stack>`, made with a create that Swarm refuses
//! (409) when the name exists, so two deploys cannot both take it, on any
//! machine that talks to the same swarm. Its labels say who holds it, since
//! when, and with which command.
//!
//! Release it with [`DeployLock::release`]. A guard dropped unreleased (an
//! error path) removes the config in the background if the runtime still
//! runs. A deploy that crashed leaves the lock behind: it expires after
//! [`EXPIRY`], and the next deploy takes it over with a warning; before
//! that, `docker config rm muelle-deploy-lock-<stack>` removes it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bollard::Docker;
use bollard::models::ConfigSpec;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::api;
use crate::engine::failed;
use crate::error::swarm::Error;

/// How long a lock holds: longer than any deploy's follow timeout, short
/// enough that a crashed deploy does not block the next for long.
pub const EXPIRY: Duration = Duration::from_secs(15 * 60);

/// Who holds the lock (`user@host pid N`).
const HOLDER_LABEL: &str = "muelle.lock.holder";
/// When it was taken, RFC 3339, for people.
const SINCE_LABEL: &str = "muelle.lock.since";
/// When it was taken, in seconds since 1970, to compute its age.
const EPOCH_LABEL: &str = "muelle.lock.epoch";
/// The command that took it.
const COMMAND_LABEL: &str = "muelle.lock.command";

/// A held deploy lock.
#[must_use = "a deploy lock is released with `release().await`"]
pub struct DeployLock {
    docker: Docker,
    name: String,
    id: Option<String>,
}

/// The lock's config name for a stack.
pub fn name(stack: &str) -> String {
    format!("muelle-deploy-lock-{stack}")
}

/// This process as a lock holder: `user@host pid N`.
pub fn holder() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown".into());
    format!("{user}@{host} pid {}", std::process::id())
}

/// Takes the lock of `stack` for `holder` running `command`, or says who
/// has it ([`Error::Locked`]). An expired lock is taken over.
pub async fn acquire(
    docker: &Docker,
    stack: &str,
    holder: &str,
    command: &str,
) -> Result<DeployLock, Error> {
    let name = name(stack);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let since = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let labels = HashMap::from([
        (HOLDER_LABEL.to_owned(), holder.to_owned()),
        (SINCE_LABEL.to_owned(), since),
        (EPOCH_LABEL.to_owned(), now.as_secs().to_string()),
        (COMMAND_LABEL.to_owned(), command.to_owned()),
    ]);
    let data = format!("{holder}\n{command}\n");
    let spec = ConfigSpec {
        name: Some(name.clone()),
        labels: Some(labels),
        data: Some(base64::engine::general_purpose::STANDARD.encode(data)),
        ..Default::default()
    };
    // Twice at most: once, and once more after removing an expired lock.
    for _ in 0..2 {
        match api::create_config(docker, spec.clone()).await {
            Ok(id) => {
                return Ok(DeployLock {
                    docker: docker.clone(),
                    name,
                    id: Some(id),
                });
            }
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 409, ..
            }) => {}
            Err(e) => return Err(failed(format!("create the deploy lock {name}"))(e).into()),
        }
        let Some((id, labels)) = find(docker, &name).await? else {
            // Released between our create and our look: try again.
            continue;
        };
        let label = |key: &str| labels.get(key).cloned().unwrap_or_default();
        let taken: u64 = label(EPOCH_LABEL).parse().unwrap_or(0);
        let age = now.saturating_sub(Duration::from_secs(taken));
        if age < EXPIRY {
            return Err(refusal(stack, name, &labels));
        }
        tracing::warn!(
            lock = %name,
            holder = %label(HOLDER_LABEL),
            since = %label(SINCE_LABEL),
            "taking over a deploy lock older than {} minutes (its deploy crashed or hangs)",
            EXPIRY.as_secs() / 60
        );
        api::remove_config(docker, &id, &name).await?;
    }
    // Someone else took the expired lock over first.
    let (_, labels) = find(docker, &name).await?.unwrap_or_default();
    Err(refusal(stack, name, &labels))
}

/// The refusal that names the lock's holder.
fn refusal(stack: &str, lock: String, labels: &HashMap<String, String>) -> Error {
    let label = |key: &str| labels.get(key).cloned().unwrap_or_default();
    Error::Locked {
        stack: stack.to_owned(),
        holder: label(HOLDER_LABEL),
        since: label(SINCE_LABEL),
        command: label(COMMAND_LABEL),
        lock,
    }
}

/// The lock config's id and labels, if it exists.
async fn find(
    docker: &Docker,
    name: &str,
) -> Result<Option<(String, HashMap<String, String>)>, Error> {
    let configs = api::configs(docker).await?;
    Ok(configs.into_iter().find_map(|config| {
        let spec = config.spec?;
        if spec.name.as_deref() != Some(name) {
            return None;
        }
        Some((config.id?, spec.labels.unwrap_or_default()))
    }))
}

impl DeployLock {
    /// The lock's config name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Gives the lock back.
    pub async fn release(mut self) -> Result<(), Error> {
        let id = self.id.take().unwrap_or_default();
        api::remove_config(&self.docker, &id, &self.name).await?;
        Ok(())
    }
}

impl Drop for DeployLock {
    /// Unreleased (an error path): removes the config in the background
    /// when a runtime is there to do it; otherwise the lock expires.
    fn drop(&mut self) {
        let Some(id) = self.id.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (docker, name) = (self.docker.clone(), self.name.clone());
        runtime.spawn(async move {
            if let Err(e) = api::remove_config(&docker, &id, &name).await {
                tracing::warn!(lock = %name, "cannot release the deploy lock: {e}");
            }
        });
    }
}

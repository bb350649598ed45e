//! What can go wrong running the local environment: a taken port, a
//! service that does not become healthy.

use std::time::Duration;

/// A failure to bring the local environment up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A host port to publish is taken by something else.
    #[error("port {port} for {service} is already in use: stop what listens there, or {hint}")]
    PortInUse {
        /// The host port.
        port: u16,
        /// The service that wanted it.
        service: String,
        /// How to publish it elsewhere.
        hint: String,
    },
    /// A service was still starting when its time was up.
    #[error(
        "{service} is not healthy: not healthy after {}s ({state}); see `muelle logs {service}`",
        .waited.as_secs()
    )]
    NotHealthyInTime {
        /// The service.
        service: String,
        /// How long muelle waited.
        waited: Duration,
        /// The last health-check output or state.
        state: String,
    },
    /// A service stopped or failed its health check.
    #[error(
        "{service} is not healthy: {detail}{}; see `muelle logs {service}`",
        .last_log.as_deref().map(|l| format!("; last log: {l}")).unwrap_or_default()
    )]
    Failed {
        /// The service.
        service: String,
        /// The exit status or health-check output.
        detail: String,
        /// The container's last log line, if it printed any.
        last_log: Option<String>,
    },
}

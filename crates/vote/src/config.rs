//! The vote service's settings, from the same variables as the original app.

use std::time::Duration;

use voting::ballot::Options;
use voting::config::{ConfigError, Env};
use voting::limits::ConnectionLimits;
use voting::service::ServiceConfig;

/// How long Redis may take to answer one batch. It answers in microseconds
/// when healthy; past this the votes of the batch get 503.
const REDIS_RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Settings of the vote service.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PORT`.
    pub port: u16,
    /// `OPTION_A` and `OPTION_B`.
    pub options: Options,
    /// `REDIS_URL`.
    pub redis: redis::Client,
    /// The host name shown on the page, like the original's "Processed by".
    pub hostname: String,
    /// Timeouts and the cap on client connections.
    pub connections: ConnectionLimits,
}

impl ServiceConfig for Config {
    fn from_env(env: &Env) -> Result<Config, ConfigError> {
        Ok(Config {
            port: env.port()?,
            options: env.options()?,
            redis: env.redis()?,
            hostname: hostname(),
            connections: ConnectionLimits::from_env(env)?,
        })
    }

    fn port(&self) -> u16 {
        self.port
    }
}

impl Config {
    /// A Redis connection that reconnects by itself.
    pub(crate) fn redis_connection(&self) -> redis::aio::ConnectionManager {
        voting::connect::redis(&self.redis, REDIS_RESPONSE_TIMEOUT)
    }
}

fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
        .unwrap_or_else(|| "unknown".into())
}

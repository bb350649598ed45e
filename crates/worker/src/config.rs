//! The worker's settings: the original app's variables plus a few of its own.

use voting::config::{ConfigError, Env};
use voting::service::ServiceConfig;

/// Default of `BATCH_SIZE`: large batches are where PostgreSQL is fast, and a
/// thousand votes still commit in a few milliseconds.
pub const DEFAULT_BATCH_SIZE: usize = 1000;

/// The largest `BATCH_SIZE`: Redis' Lua scripts unpack a batch onto a stack
/// limited to 8000 values.
pub const MAX_BATCH_SIZE: usize = 5000;

/// Settings of the worker.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PORT`, where `/healthz` and `/metrics` are served.
    pub port: u16,
    /// `REDIS_URL`.
    pub redis: redis::Client,
    /// `DATABASE_URL`, with the password from `DATABASE_PASSWORD_FILE` if set.
    pub database: tokio_postgres::Config,
    /// `WORKER_ID`: names this worker's processing list. Two live workers must
    /// not share one. The default, host name and process id, stays the same
    /// when a container restarts, so a restarted worker takes back its own
    /// votes at once.
    pub worker_id: String,
    /// `BATCH_SIZE`: the most votes taken and committed at once.
    pub batch_size: usize,
}

impl ServiceConfig for Config {
    fn from_env(env: &Env) -> Result<Config, ConfigError> {
        let batch_size = env.parse("BATCH_SIZE", DEFAULT_BATCH_SIZE)?;
        if !(1..=MAX_BATCH_SIZE).contains(&batch_size) {
            return Err(ConfigError {
                name: "BATCH_SIZE",
                reason: format!("must be between 1 and {MAX_BATCH_SIZE}, got {batch_size}"),
            });
        }
        let worker_id = env.get("WORKER_ID").unwrap_or_else(default_worker_id);
        if worker_id.is_empty()
            || worker_id.len() > 200
            || !worker_id.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(ConfigError {
                name: "WORKER_ID",
                reason: "must be 1 to 200 printable ASCII characters without spaces".into(),
            });
        }
        Ok(Config {
            port: env.port()?,
            redis: env.redis()?,
            database: env.database()?,
            worker_id,
            batch_size,
        })
    }

    fn port(&self) -> u16 {
        self.port
    }
}

fn default_worker_id() -> String {
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
        .unwrap_or_else(|| "worker".into());
    format!("{host}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_size_and_worker_id_are_checked() {
        let config =
            |pairs: &[(&str, &str)]| Config::from_env(&Env::from_pairs(pairs.iter().copied()));
        assert_eq!(config(&[]).unwrap().batch_size, DEFAULT_BATCH_SIZE);
        assert_eq!(config(&[("BATCH_SIZE", "50")]).unwrap().batch_size, 50);
        for bad in ["0", "5001", "many", "-1"] {
            let err = config(&[("BATCH_SIZE", bad)]).unwrap_err();
            assert_eq!(err.name, "BATCH_SIZE", "{bad}");
        }
        assert_eq!(
            config(&[("WORKER_ID", "w 1")]).unwrap_err().name,
            "WORKER_ID"
        );
        assert_eq!(config(&[("WORKER_ID", "w-1")]).unwrap().worker_id, "w-1");
        assert!(config(&[]).unwrap().worker_id.contains('-'));
    }
}

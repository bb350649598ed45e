//! The result service's settings, read from the environment once at start.

use std::ops::RangeInclusive;
use std::time::Duration;

use voting::ballot::Options;
use voting::config::{ConfigError, Env};
use voting::limits::ConnectionLimits;
use voting::service::ServiceConfig;

/// Default of `REFRESH_INTERVAL_MS`: the original result app polls once a
/// second, so with a worker that never notifies (the original one) the page
/// is still as fresh as the original's.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// Below this a fallback refresh would be a busy loop against the database.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_millis(10);

/// Above this a stale page would go unnoticed for too long.
pub const MAX_REFRESH_INTERVAL: Duration = Duration::from_secs(3600);

/// Default of `TALLY_RECONCILE_INTERVAL_MS`: a recount of the whole table
/// costs about 80–190 ms for a million voters, so once a minute keeps a
/// tally that a trigger-less write skewed wrong for at most a minute while
/// costing the database well under 1 % of its time.
pub const DEFAULT_RECONCILE_INTERVAL: Duration = Duration::from_secs(60);

/// Below this the reconcile, a scan of the whole table, would keep the
/// database busy; tests use intervals this short.
pub const MIN_RECONCILE_INTERVAL: Duration = Duration::from_millis(50);

/// Above this a skewed tally would go unrepaired for more than a day.
pub const MAX_RECONCILE_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// Default of `MAX_SSE_CLIENTS`: twice the 10,000 idle clients one process
/// is built to hold, so a flood of clients is refused before it exhausts
/// memory or file descriptors and takes `/healthz` down with it.
pub const DEFAULT_MAX_SSE_CLIENTS: usize = 20_000;

/// Everything the result service needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PORT`: where the page, the API and the event stream are served.
    pub port: u16,
    /// `DATABASE_URL`: the PostgreSQL database the worker writes to, with
    /// the password from `DATABASE_PASSWORD_FILE` if set.
    pub database: tokio_postgres::Config,
    /// `OPTION_A` and `OPTION_B`: the labels shown next to the counts.
    pub options: Options,
    /// `REFRESH_INTERVAL_MS`: how long the counts may go without a recount
    /// when no `votes_changed` notification arrives.
    pub refresh_interval: Duration,
    /// `MAX_SSE_CLIENTS`: how many `/events` streams may be open at once.
    pub max_sse_clients: usize,
    /// `TALLY_RECONCILE_INTERVAL_MS`: how often the tally is checked
    /// against the table and repaired; `None` (set to `0`) never.
    pub reconcile_interval: Option<Duration>,
    /// Timeouts and the cap on client connections.
    pub connections: ConnectionLimits,
}

impl ServiceConfig for Config {
    fn from_env(env: &Env) -> Result<Config, ConfigError> {
        Ok(Config {
            port: env.port()?,
            database: env.database()?,
            options: env.options()?,
            refresh_interval: refresh_interval(env)?,
            max_sse_clients: max_sse_clients(env)?,
            reconcile_interval: reconcile_interval(env)?,
            connections: ConnectionLimits::from_env(env)?,
        })
    }

    fn port(&self) -> u16 {
        self.port
    }
}

fn refresh_interval(env: &Env) -> Result<Duration, ConfigError> {
    let range = MIN_REFRESH_INTERVAL..=MAX_REFRESH_INTERVAL;
    let interval = millis(
        env,
        "REFRESH_INTERVAL_MS",
        DEFAULT_REFRESH_INTERVAL,
        range,
        false,
    )?;
    Ok(interval.unwrap_or(DEFAULT_REFRESH_INTERVAL))
}

fn reconcile_interval(env: &Env) -> Result<Option<Duration>, ConfigError> {
    let range = MIN_RECONCILE_INTERVAL..=MAX_RECONCILE_INTERVAL;
    millis(
        env,
        "TALLY_RECONCILE_INTERVAL_MS",
        DEFAULT_RECONCILE_INTERVAL,
        range,
        true,
    )
}

/// A duration in milliseconds from `name` (else `default`) within `range`;
/// `None` for `0` where `zero_is_never`.
fn millis(
    env: &Env,
    name: &'static str,
    default: Duration,
    range: RangeInclusive<Duration>,
    zero_is_never: bool,
) -> Result<Option<Duration>, ConfigError> {
    let default = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
    let interval = Duration::from_millis(env.parse(name, default)?);
    if zero_is_never && interval.is_zero() {
        return Ok(None);
    }
    if !range.contains(&interval) {
        return Err(ConfigError {
            name,
            reason: format!(
                "must be {}between {} and {} milliseconds",
                if zero_is_never { "0 (never) or " } else { "" },
                range.start().as_millis(),
                range.end().as_millis()
            ),
        });
    }
    Ok(Some(interval))
}

fn max_sse_clients(env: &Env) -> Result<usize, ConfigError> {
    const NAME: &str = "MAX_SSE_CLIENTS";
    let max = env.parse(NAME, DEFAULT_MAX_SSE_CLIENTS)?;
    if max == 0 {
        return Err(ConfigError {
            name: NAME,
            reason: "must be at least 1".into(),
        });
    }
    Ok(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults_match_the_original_app() {
        let config = config(&[]).unwrap();
        assert_eq!(config.port, 80);
        assert_eq!(config.options, Options::default());
        assert_eq!(config.database.get_dbname(), Some("postgres"));
        assert_eq!(config.refresh_interval, DEFAULT_REFRESH_INTERVAL);
        assert_eq!(config.max_sse_clients, DEFAULT_MAX_SSE_CLIENTS);
        assert_eq!(config.reconcile_interval, Some(DEFAULT_RECONCILE_INTERVAL));
    }

    #[test]
    fn settings_come_from_the_environment() {
        let config = config(&[
            ("PORT", "5001"),
            ("OPTION_A", "Tabs"),
            ("REFRESH_INTERVAL_MS", "250"),
            ("MAX_SSE_CLIENTS", "7"),
            ("TALLY_RECONCILE_INTERVAL_MS", "5000"),
        ])
        .unwrap();
        assert_eq!(config.port, 5001);
        assert_eq!(config.options.a, "Tabs");
        assert_eq!(config.refresh_interval, Duration::from_millis(250));
        assert_eq!(config.max_sse_clients, 7);
        assert_eq!(config.reconcile_interval, Some(Duration::from_secs(5)));
        let never = self::config(&[("TALLY_RECONCILE_INTERVAL_MS", "0")]).unwrap();
        assert_eq!(never.reconcile_interval, None);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("REFRESH_INTERVAL_MS", "soon"),
            ("REFRESH_INTERVAL_MS", "0"),
            ("REFRESH_INTERVAL_MS", "3600001"),
            ("MAX_SSE_CLIENTS", "0"),
            ("MAX_SSE_CLIENTS", "-3"),
            ("TALLY_RECONCILE_INTERVAL_MS", "hourly"),
            ("TALLY_RECONCILE_INTERVAL_MS", "49"),
            ("TALLY_RECONCILE_INTERVAL_MS", "86400001"),
            ("PORT", "65536"),
            ("OPTION_B", ""),
            ("DATABASE_URL", "postgres://h:port/db"),
        ] {
            let error = config(&[(name, value)]).unwrap_err();
            assert_eq!(error.name, name, "{name}={value:?} gave {error}");
        }
    }
}

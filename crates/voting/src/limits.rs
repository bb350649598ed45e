//! Limits on client connections, read from the environment: how long a
//! request head and an idle kept-alive connection may take, how many
//! connections one process holds, and how long a graceful shutdown waits.
//!
//! Without them a client that sends a byte now and then, or a crowd that
//! connects and sends nothing, holds a connection (a task, buffers and a file
//! descriptor) for ever, and enough of them stop the service answering anyone.

use std::time::Duration;

use crate::config::{ConfigError, Env};

/// Default of `REQUEST_HEAD_TIMEOUT_MS`: a browser sends its whole request
/// head in one packet; ten seconds leave room for a slow mobile link.
pub const DEFAULT_REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Default of `IDLE_TIMEOUT_MS`: long enough for a load generator or a
/// proxy to reuse its connections, short enough that idle ones go.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Default of `SHUTDOWN_TIMEOUT_MS`: Docker kills a container 10 s after
/// SIGTERM, and after the connections vote still writes its queued votes.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The most connections held by default, whatever the open files limit
/// allows: room for result's 20,000 event streams and more, while hyper's
/// 21 KiB per connection keeps the total well under a gigabyte.
pub const DEFAULT_MAX_CONNECTIONS: usize = 25_000;

/// File descriptors kept back from the open files limit for the service's
/// own: the listener, the runtime's epoll and wakers, Redis or PostgreSQL,
/// and connections being closed to make room.
pub const FILE_DESCRIPTOR_HEADROOM: u64 = 64;

/// The shortest timeout accepted: below it a normal client on a busy
/// machine would be cut off.
const MIN_TIMEOUT: Duration = Duration::from_millis(10);

/// The longest timeout accepted: beyond it the limit would protect nothing.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// The longest graceful shutdown accepted; orchestrators kill much sooner.
const MAX_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(600);

/// How a service treats its client connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// `REQUEST_HEAD_TIMEOUT_MS`: one deadline for a whole request head,
    /// from a fresh connection's accept or a kept-alive one's first byte.
    pub head_timeout: Duration,
    /// `IDLE_TIMEOUT_MS`: how long a kept-alive connection may wait for
    /// the first byte of its next request.
    pub idle_timeout: Duration,
    /// `MAX_CONNECTIONS`: how many client connections may be open at once.
    pub max_connections: usize,
    /// `SHUTDOWN_TIMEOUT_MS`: how long a graceful shutdown waits for open
    /// connections before it drops them.
    pub shutdown_timeout: Duration,
}

impl ConnectionLimits {
    /// Reads the limits; `MAX_CONNECTIONS` defaults to what the process'
    /// open files limit allows, up to [`DEFAULT_MAX_CONNECTIONS`].
    pub fn from_env(env: &Env) -> Result<ConnectionLimits, ConfigError> {
        ConnectionLimits::with_open_files(env, open_files_limit())
    }

    fn with_open_files(
        env: &Env,
        open_files: Option<u64>,
    ) -> Result<ConnectionLimits, ConfigError> {
        let timeouts = MIN_TIMEOUT..=MAX_TIMEOUT;
        Ok(ConnectionLimits {
            head_timeout: env.millis(
                "REQUEST_HEAD_TIMEOUT_MS",
                DEFAULT_REQUEST_HEAD_TIMEOUT,
                timeouts.clone(),
            )?,
            idle_timeout: env.millis("IDLE_TIMEOUT_MS", DEFAULT_IDLE_TIMEOUT, timeouts)?,
            max_connections: max_connections(env, open_files)?,
            shutdown_timeout: env.millis(
                "SHUTDOWN_TIMEOUT_MS",
                DEFAULT_SHUTDOWN_TIMEOUT,
                Duration::ZERO..=MAX_SHUTDOWN_TIMEOUT,
            )?,
        })
    }

    /// hyper's header read timeout. hyper starts it when it begins to wait
    /// for a request, so it bounds the idle wait and the head together;
    /// the shorter of the two keeps both promises on the router's path.
    pub fn router_head_timeout(&self) -> Duration {
        self.head_timeout.min(self.idle_timeout)
    }
}

/// The soft open files limit (the service raises it to the hard one first).
fn open_files_limit() -> Option<u64> {
    use nix::sys::resource::{Resource, getrlimit};
    getrlimit(Resource::RLIMIT_NOFILE)
        .ok()
        .map(|(soft, _)| soft)
}

fn max_connections(env: &Env, open_files: Option<u64>) -> Result<usize, ConfigError> {
    const NAME: &str = "MAX_CONNECTIONS";
    let allowed = open_files.map(|limit| {
        usize::try_from(limit.saturating_sub(FILE_DESCRIPTOR_HEADROOM)).unwrap_or(usize::MAX)
    });
    let Some(raw) = env.get(NAME) else {
        let default = allowed.map_or(DEFAULT_MAX_CONNECTIONS, |a| a.min(DEFAULT_MAX_CONNECTIONS));
        if default == 0 {
            return Err(ConfigError {
                name: NAME,
                reason: format!(
                    "the open files limit ({}) leaves no room for connections; raise it (ulimit -n)",
                    open_files.unwrap_or_default()
                ),
            });
        }
        return Ok(default);
    };
    let max: usize = env.parse(NAME, 0)?;
    if max == 0 {
        return Err(ConfigError {
            name: NAME,
            reason: "must be at least 1".into(),
        });
    }
    if let Some(allowed) = allowed.filter(|&a| max > a) {
        return Err(ConfigError {
            name: NAME,
            reason: format!(
                "{raw:?} is more than the open files limit allows ({allowed}, keeping \
                 {FILE_DESCRIPTOR_HEADROOM} for the service itself); raise the limit (ulimit -n) or lower it"
            ),
        });
    }
    Ok(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(pairs: &[(&str, &str)], files: u64) -> Result<ConnectionLimits, ConfigError> {
        ConnectionLimits::with_open_files(&Env::from_pairs(pairs.iter().copied()), Some(files))
    }

    #[test]
    fn defaults_follow_the_open_files_limit() {
        let plenty = limits(&[], 1 << 20).unwrap();
        assert_eq!(
            plenty,
            ConnectionLimits {
                head_timeout: DEFAULT_REQUEST_HEAD_TIMEOUT,
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
                max_connections: DEFAULT_MAX_CONNECTIONS,
                shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            }
        );
        assert_eq!(limits(&[], 1024).unwrap().max_connections, 960);
    }

    #[test]
    fn settings_come_from_the_environment() {
        let set = limits(
            &[
                ("REQUEST_HEAD_TIMEOUT_MS", "250"),
                ("IDLE_TIMEOUT_MS", "100"),
                ("MAX_CONNECTIONS", "7"),
                ("SHUTDOWN_TIMEOUT_MS", "0"),
            ],
            1024,
        )
        .unwrap();
        assert_eq!(set.head_timeout, Duration::from_millis(250));
        assert_eq!(set.router_head_timeout(), Duration::from_millis(100));
        assert_eq!(set.max_connections, 7);
        assert_eq!(set.shutdown_timeout, Duration::ZERO);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value, files) in [
            ("REQUEST_HEAD_TIMEOUT_MS", "soon", 1024),
            ("REQUEST_HEAD_TIMEOUT_MS", "5", 1024),
            ("IDLE_TIMEOUT_MS", "3600001", 1024),
            ("SHUTDOWN_TIMEOUT_MS", "-1", 1024),
            ("MAX_CONNECTIONS", "0", 1024),
            ("MAX_CONNECTIONS", "961", 1024),
            ("MAX_CONNECTIONS", "many", 1024),
        ] {
            let error = limits(&[(name, value)], files).unwrap_err();
            assert_eq!(error.name, name, "{name}={value:?} gave {error}");
        }
        let starved = limits(&[], 64).unwrap_err();
        assert_eq!(starved.name, "MAX_CONNECTIONS", "{starved}");
    }
}

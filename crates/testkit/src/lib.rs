//! Real servers for tests: Redis, PostgreSQL, a Docker registry, Prometheus
//! and node-exporter from the machine's packages, a multi-node Swarm lab,
//! and clients that misbehave on purpose.
//!
//! Each test starts its own servers on free ports, with their data in a
//! temporary directory, so tests never share state: a start checks that the
//! server answering on its port is its own child, and moves to another port
//! when two tests were given the same one. A server is killed when
//! its handle drops, and also (through the parent-death signal) when the test
//! process dies without unwinding, so nothing is left running.

mod binaries;
mod clients;
pub mod lab;
mod port;
mod postgres;
mod process;
mod prometheus;
mod redis;
mod registry;

pub use crate::binaries::{SERVICES, bins_dir, build_binaries, build_services};
pub use crate::clients::{
    SLOW_BYTE_INTERVAL, ServiceProcess, after_one_request, all_cut_off, idle_until_closed,
    is_closed, trickle_until_closed,
};
pub use crate::lab::{Lab, texts};
pub use crate::port::free_port;
pub use crate::postgres::Postgres;
pub use crate::process::die_with_test;
pub use crate::prometheus::{NodeExporter, Prometheus, assert_series, check_metrics, promtool};
pub use crate::redis::Redis;
pub use crate::registry::{Credentials, Registry, manifest_digest};

use std::future::Future;
use std::time::{Duration, Instant};

/// How long [`eventually`] waits by default: generous, since CI machines are slow.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

/// How often [`eventually`] looks again.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Polls `probe` until it returns `Some`, and panics with `what` if that does
/// not happen before `deadline`. Tests use it instead of fixed sleeps.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            started.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

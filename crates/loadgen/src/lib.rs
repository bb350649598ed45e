//! Load for the voting app, and the measurements that come with it.
//!
//! - [`VoteLoad`] votes against the vote service: at maximum pace (closed
//!   loop) or at a fixed rate (open loop, latency counted from each vote's
//!   due time), on N keep-alive connections, as unique or reused voters, for
//!   a duration, a count, or until told to stop. Its [`Report`] holds the
//!   throughput, latency percentiles, errors by kind and the acknowledged
//!   votes, which is what the reliability tests check against the database.
//! - [`ScreenProbe`] watches the result service's `/events` and turns the
//!   tallies into vote-to-screen latency.
//! - [`IdleClients`] holds many `/events` streams open, as people who leave
//!   the result page open.
//!
//! The `loadgen` binary is a thin command line over these; the benchmark
//! command drives them directly.

pub mod cli;
mod cmd;
mod config;
mod http;
mod idle;
mod report;
mod request;
mod run;
mod screen;
mod sse;
mod target;
mod tls;

pub use crate::config::{DEFAULT_CONNECTIONS, DEFAULT_TIMEOUT, Limit, Pace, VoteLoad, Voters};
pub use crate::idle::{IdleClients, IdleReport};
pub use crate::report::{Latency, Report};
pub use crate::run::{Progress, Running};
pub use crate::screen::{ScreenFrom, ScreenProbe, ScreenReport};
pub use crate::sse::Tally;
pub use crate::target::{ConnectTo, Dial, Target};

/// Why a load could not run. Failed requests are not errors: they are
/// counted in the report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL cannot be used.
    #[error("bad URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The host name did not resolve.
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        /// The host and port.
        host: String,
        /// The resolver's error.
        source: std::io::Error,
    },
    /// A `--connect-to` rule is not `HOST:PORT:ADDR:PORT`.
    #[error(
        "bad --connect-to {0:?}: expected HOST:PORT:ADDR:PORT, e.g. voting.lab.test:443:127.0.0.1:8443"
    )]
    BadConnectTo(String),
    /// TLS cannot be set up: a `--ca` file that cannot be read, a host that
    /// is no server name, no system roots.
    #[error("{reason}")]
    Tls {
        /// What went wrong, with the file or host.
        reason: String,
    },
    /// The settings contradict each other or are out of range.
    #[error("{0}")]
    Config(String),
    /// The result service's event stream could not be watched.
    #[error("cannot watch {url}: {reason}")]
    Screen {
        /// The `/events` URL.
        url: String,
        /// Why not.
        reason: String,
    },
}

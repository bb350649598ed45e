//! What a vote load looks like: where, how many connections, how fast, for
//! how long, and as which voters.

use std::fmt;
use std::time::Duration;

use crate::Error;
use crate::screen::ScreenProbe;
use crate::target::Dial;

/// Default connections: what the benchmarks and DESIGN.md measure with.
pub const DEFAULT_CONNECTIONS: usize = 50;

/// Default request timeout. The vote service answers 503 within 3 s when
/// Redis is away, so a longer silence means the connection is stuck.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How fast votes are sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// Closed loop: each connection sends its next vote as soon as the last
    /// is answered. Finds the maximum rate; latency is the service time.
    Max,
    /// Open loop at this many votes per second in total, on a fixed
    /// schedule. A vote's latency counts from the time the schedule meant to
    /// send it, so a stalled server is not hidden by the client waiting for
    /// it (coordinated omission).
    Rate(f64),
}

impl fmt::Display for Pace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pace::Max => f.write_str("max"),
            Pace::Rate(rate) => write!(f, "{rate}/s"),
        }
    }
}

/// When the load stops by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// After this long, not counting the warm-up.
    Duration(Duration),
    /// After this many votes have been sent (warm-up included).
    Count(u64),
    /// Only when [`crate::Running::finish`] is called.
    Unbounded,
}

/// Who votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voters {
    /// Every vote from a new voter, so each acknowledged vote adds a row
    /// and the tally's total counts them.
    Unique,
    /// Votes from this many voters, over and over, so rows change instead
    /// of being added (people changing their minds).
    Reuse(u64),
}

impl fmt::Display for Voters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Voters::Unique => f.write_str("unique"),
            Voters::Reuse(n) => write!(f, "{n} reused"),
        }
    }
}

/// A vote load to run against the vote service. Build it with the methods
/// below, then [`VoteLoad::start`] it.
#[derive(Debug)]
pub struct VoteLoad {
    pub(crate) url: String,
    pub(crate) dial: Dial,
    pub(crate) connections: usize,
    pub(crate) pace: Pace,
    pub(crate) limit: Limit,
    pub(crate) voters: Voters,
    pub(crate) warmup: Duration,
    pub(crate) timeout: Duration,
    pub(crate) html: bool,
    pub(crate) record_voters: bool,
    pub(crate) screen: Option<ScreenProbe>,
}

impl VoteLoad {
    /// A closed-loop load on [`DEFAULT_CONNECTIONS`] connections with
    /// unique voters, running until finished, against the vote page at `url`.
    pub fn new(url: impl Into<String>) -> VoteLoad {
        VoteLoad {
            url: url.into(),
            dial: Dial::default(),
            connections: DEFAULT_CONNECTIONS,
            pace: Pace::Max,
            limit: Limit::Unbounded,
            voters: Voters::Unique,
            warmup: Duration::ZERO,
            timeout: DEFAULT_TIMEOUT,
            html: false,
            record_voters: false,
            screen: None,
        }
    }

    /// How to reach the vote page: the roots to trust for `https`, and
    /// where to connect instead of the URL's host.
    pub fn dial(mut self, dial: Dial) -> VoteLoad {
        self.dial = dial;
        self
    }

    /// How many keep-alive connections vote at once.
    pub fn connections(mut self, connections: usize) -> VoteLoad {
        self.connections = connections;
        self
    }

    /// How fast to vote.
    pub fn pace(mut self, pace: Pace) -> VoteLoad {
        self.pace = pace;
        self
    }

    /// When to stop.
    pub fn limit(mut self, limit: Limit) -> VoteLoad {
        self.limit = limit;
        self
    }

    /// Who votes.
    pub fn voters(mut self, voters: Voters) -> VoteLoad {
        self.voters = voters;
        self
    }

    /// A first stretch whose votes are sent and counted as acknowledged but
    /// left out of throughput and latency, so connection set-up and cold
    /// caches do not skew them.
    pub fn warmup(mut self, warmup: Duration) -> VoteLoad {
        self.warmup = warmup;
        self
    }

    /// How long one request may take before it counts as a timeout.
    pub fn timeout(mut self, timeout: Duration) -> VoteLoad {
        self.timeout = timeout;
        self
    }

    /// Asks for the HTML page back, as a browser does, instead of the short
    /// JSON answer.
    pub fn html(mut self, html: bool) -> VoteLoad {
        self.html = html;
        self
    }

    /// Keeps the id of every voter whose vote was acknowledged, for tests
    /// that check each one reached the database.
    pub fn record_voters(mut self) -> VoteLoad {
        self.record_voters = true;
        self
    }

    /// Measures vote-to-screen latency with `probe`, connected to the
    /// result service's `/events` before the load starts.
    pub fn screen(mut self, probe: ScreenProbe) -> VoteLoad {
        self.screen = Some(probe);
        self
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        let bad = |reason: &str| Err(Error::Config(reason.to_owned()));
        if self.connections == 0 {
            return bad("connections must be at least 1");
        }
        if let Pace::Rate(rate) = self.pace {
            if !(rate.is_finite() && rate > 0.0) {
                return bad("the rate must be a positive number of votes per second");
            }
        }
        if self.voters == Voters::Reuse(0) {
            return bad("reused voters must be at least 1");
        }
        if self.screen.is_some() && self.voters != Voters::Unique {
            return bad(
                "vote-to-screen latency needs unique voters: a reused voter does not change the total",
            );
        }
        if self.timeout.is_zero() {
            return bad("the timeout must be more than zero");
        }
        Ok(())
    }
}

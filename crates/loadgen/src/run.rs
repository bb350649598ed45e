//! Running a vote load: one task per connection, sharing a ticket counter.
//!
//! Each vote takes the next ticket. The ticket numbers the voter, picks the
//! option, counts towards a count limit and, at a fixed rate, fixes when the
//! vote is due. A connection that falls behind finds its ticket overdue and
//! sends at once, and its latency still counts from the due time. Each task
//! keeps its own histograms, merged at the end, so the hot path shares
//! nothing but the counter and a few progress counters.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::config::{Limit, Pace, VoteLoad};
use crate::http::{Connection, HttpError};
use crate::report::{self, Latency, Report};
use crate::request::{Template, VoterIds};
use crate::screen::{Acked, ScreenProbe};
use crate::target::Target;
use crate::tls::OpenError;

/// First pause after a failed connect; doubles up to [`MAX_CONNECT_BACKOFF`],
/// so a service that is down is not hammered but is found again quickly.
const MIN_CONNECT_BACKOFF: Duration = Duration::from_millis(10);
/// Longest pause between connection attempts.
const MAX_CONNECT_BACKOFF: Duration = Duration::from_millis(500);

/// How long to wait, after the load, for the screen to show every
/// acknowledged vote before counting the rest as missing.
const SCREEN_PATIENCE: Duration = Duration::from_secs(10);

/// Why a request failed, as counted in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Failure {
    Connect,
    Tls,
    Timeout,
    Closed,
    Protocol,
    Status(u16),
}

impl Failure {
    fn name(self) -> String {
        match self {
            Failure::Connect => "connect".into(),
            Failure::Tls => "tls".into(),
            Failure::Timeout => "timeout".into(),
            Failure::Closed => "closed".into(),
            Failure::Protocol => "protocol".into(),
            Failure::Status(code) => format!("http_{code}"),
        }
    }
}

/// Counters the progress line reads while the load runs.
#[derive(Debug, Default)]
struct Live {
    next: AtomicU64,
    sent: AtomicU64,
    ok: AtomicU64,
    failed: AtomicU64,
}

/// How far a running load has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Since the start, warm-up included.
    pub elapsed: Duration,
    /// Requests answered or failed.
    pub sent: u64,
    /// Votes acknowledged.
    pub acknowledged: u64,
    /// Requests that failed.
    pub errors: u64,
}

/// What every connection task reads.
struct Plan {
    target: Target,
    template: Template,
    ids: VoterIds,
    pace: Pace,
    limit: Limit,
    start: Instant,
    measure_from: Instant,
    deadline: Option<Instant>,
    timeout: Duration,
    record_voters: bool,
    screen: bool,
    stop: CancellationToken,
    live: Live,
}

/// What one connection measured.
struct Tally {
    latency: Histogram<u64>,
    service: Histogram<u64>,
    requests: u64,
    ok: u64,
    acknowledged: u64,
    last_done: Option<Instant>,
    failures: BTreeMap<Failure, u64>,
    /// The first message of each kind of failure.
    messages: BTreeMap<Failure, String>,
    voters: Vec<String>,
    acked: Vec<Acked>,
}

/// A load in progress. Dropping it stops the load.
pub struct Running {
    plan: Arc<Plan>,
    tasks: Vec<JoinHandle<Tally>>,
    screen: Option<ScreenProbe>,
    describe: (String, usize, String, String),
}

impl VoteLoad {
    /// Checks the settings, resolves the URL and starts voting on the
    /// current tokio runtime.
    pub async fn start(mut self) -> Result<Running, Error> {
        self.check()?;
        let target = Target::resolve(&self.url, &self.dial).await?;
        let start = Instant::now();
        let measure_from = start + self.warmup;
        let deadline = match self.limit {
            Limit::Duration(duration) => Some(measure_from + duration),
            _ => None,
        };
        let plan = Arc::new(Plan {
            template: Template::new(&target, self.html),
            ids: VoterIds::new(self.voters),
            target,
            pace: self.pace,
            limit: self.limit,
            start,
            measure_from,
            deadline,
            timeout: self.timeout,
            record_voters: self.record_voters,
            screen: self.screen.is_some(),
            stop: CancellationToken::new(),
            live: Live::default(),
        });
        let tasks = (0..self.connections)
            .map(|_| tokio::spawn(drive(plan.clone())))
            .collect();
        Ok(Running {
            describe: (
                plan.target.url().to_owned(),
                self.connections,
                self.pace.to_string(),
                self.voters.to_string(),
            ),
            plan,
            tasks,
            screen: self.screen.take(),
        })
    }
}

impl Running {
    /// Counts so far, for a progress line.
    pub fn progress(&self) -> Progress {
        let live = &self.plan.live;
        Progress {
            elapsed: self.plan.start.elapsed(),
            sent: live.sent.load(Ordering::Relaxed),
            acknowledged: live.ok.load(Ordering::Relaxed),
            errors: live.failed.load(Ordering::Relaxed),
        }
    }

    /// Whether every connection has finished (the limit was reached).
    pub fn is_done(&self) -> bool {
        self.tasks.iter().all(JoinHandle::is_finished)
    }

    /// Waits until the limit is reached and reports. With
    /// [`Limit::Unbounded`] that is never: use [`Running::finish`].
    pub async fn wait(mut self) -> Report {
        self.collect().await
    }

    /// Stops sending now, lets requests in flight finish, and reports.
    pub async fn finish(mut self) -> Report {
        self.plan.stop.cancel();
        self.collect().await
    }

    async fn collect(&mut self) -> Report {
        let mut total = Tally::new();
        for task in self.tasks.drain(..) {
            let tally = task.await.expect("a connection task does not panic");
            total.merge(tally);
        }
        let plan = &self.plan;
        let elapsed = total.last_done.map_or(Duration::ZERO, |done| {
            done.saturating_duration_since(plan.measure_from)
        });
        let screen = match self.screen.take() {
            Some(probe) => Some(
                probe
                    .measure(std::mem::take(&mut total.acked), SCREEN_PATIENCE)
                    .await,
            ),
            None => None,
        };
        let (url, connections, pace, voters) = self.describe.clone();
        Report {
            url,
            connections,
            pace,
            voters,
            elapsed_secs: elapsed.as_secs_f64(),
            requests: total.requests,
            ok: total.ok,
            throughput: if elapsed.is_zero() {
                0.0
            } else {
                total.ok as f64 / elapsed.as_secs_f64()
            },
            latency: Latency::of(&total.latency),
            service_time: Latency::of(&total.service),
            errors: total.failures.iter().map(|(f, n)| (f.name(), *n)).collect(),
            error_messages: total
                .messages
                .into_iter()
                .map(|(f, message)| (f.name(), message))
                .collect(),
            acknowledged: total.acknowledged,
            screen,
            acknowledged_voters: total.voters,
            latency_histogram: total.latency,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.plan.stop.cancel();
    }
}

impl Tally {
    fn new() -> Tally {
        Tally {
            latency: report::histogram(),
            service: report::histogram(),
            requests: 0,
            ok: 0,
            acknowledged: 0,
            last_done: None,
            failures: BTreeMap::new(),
            messages: BTreeMap::new(),
            voters: Vec::new(),
            acked: Vec::new(),
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latency
            .add(&other.latency)
            .expect("histograms share their bounds");
        self.service
            .add(&other.service)
            .expect("histograms share their bounds");
        self.requests += other.requests;
        self.ok += other.ok;
        self.acknowledged += other.acknowledged;
        self.last_done = self.last_done.max(other.last_done);
        for (failure, n) in other.failures {
            *self.failures.entry(failure).or_default() += n;
        }
        for (failure, message) in other.messages {
            self.messages.entry(failure).or_insert(message);
        }
        self.voters.extend(other.voters);
        self.acked.extend(other.acked);
    }

    /// Counts a failure; `message` says what happened, and is only made
    /// for the first failure of its kind.
    fn fail(&mut self, plan: &Plan, failure: Failure, message: impl FnOnce() -> String) {
        *self.failures.entry(failure).or_default() += 1;
        self.messages.entry(failure).or_insert_with(message);
        plan.live.failed.fetch_add(1, Ordering::Relaxed);
    }
}

/// One connection's loop: take a ticket, wait until it is due, vote, record.
async fn drive(plan: Arc<Plan>) -> Tally {
    let mut tally = Tally::new();
    let mut connection: Option<Connection> = None;
    let mut request = Vec::with_capacity(256);
    let mut backoff = MIN_CONNECT_BACKOFF;
    while !plan.stop.is_cancelled() {
        let n = plan.live.next.fetch_add(1, Ordering::Relaxed);
        if matches!(plan.limit, Limit::Count(count) if n >= count) {
            break;
        }
        let due = match plan.pace {
            Pace::Max => Instant::now(),
            Pace::Rate(rate) => plan.start + Duration::from_secs_f64(n as f64 / rate),
        };
        if plan.deadline.is_some_and(|deadline| due >= deadline) {
            break;
        }
        if due > Instant::now() {
            tokio::select! {
                _ = sleep_until(due) => {}
                _ = plan.stop.cancelled() => break,
            }
        }
        let conn = match connection.as_mut() {
            Some(conn) => conn,
            None => match timeout(plan.timeout, Connection::open(&plan.target)).await {
                Ok(Ok(conn)) => {
                    backoff = MIN_CONNECT_BACKOFF;
                    connection.insert(conn)
                }
                failed => {
                    let failure = match failed {
                        Ok(Err(OpenError::Tls { .. })) => Failure::Tls,
                        _ => Failure::Connect,
                    };
                    tally.fail(&plan, failure, || match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => format!(
                            "no connection to {} within {:?}",
                            plan.target.addr(),
                            plan.timeout
                        ),
                    });
                    tokio::select! {
                        _ = sleep(backoff) => {}
                        _ = plan.stop.cancelled() => break,
                    }
                    backoff = (backoff * 2).min(MAX_CONNECT_BACKOFF);
                    continue;
                }
            },
        };
        plan.template.fill(&plan.ids, n, &mut request);
        let sent = Instant::now();
        let outcome = timeout(plan.timeout, conn.send(&request)).await;
        let done = Instant::now();
        plan.live.sent.fetch_add(1, Ordering::Relaxed);
        let start = match plan.pace {
            Pace::Max => sent,
            Pace::Rate(_) => due,
        };
        let measured = start >= plan.measure_from;
        if measured {
            tally.requests += 1;
            tally.last_done = Some(done);
        }
        match outcome {
            Ok(Ok(response)) => {
                if response.close {
                    connection = None;
                }
                if response.status != 200 {
                    tally.fail(&plan, Failure::Status(response.status), || {
                        response.describe()
                    });
                    continue;
                }
                plan.live.ok.fetch_add(1, Ordering::Relaxed);
                tally.acknowledged += 1;
                if measured {
                    tally.ok += 1;
                    report::record(&mut tally.latency, done - start);
                    report::record(&mut tally.service, done - sent);
                }
                if plan.record_voters {
                    let voter = plan.template.voter(&request);
                    tally
                        .voters
                        .push(String::from_utf8_lossy(voter).into_owned());
                }
                if plan.screen {
                    tally.acked.push(Acked {
                        scheduled: start,
                        acked: done,
                        measured,
                    });
                }
            }
            Ok(Err(e)) => {
                connection = None;
                let failure = match e {
                    HttpError::Protocol(_) => Failure::Protocol,
                    HttpError::Io(_) | HttpError::Closed => Failure::Closed,
                };
                tally.fail(&plan, failure, || e.to_string());
            }
            Err(_) => {
                connection = None;
                tally.fail(&plan, Failure::Timeout, || {
                    format!("no answer within {:?}", plan.timeout)
                });
            }
        }
    }
    tally
}

//! The benchmark command: the machine's limits and the voting app against
//! them, side by side in one run.
//!
//! One run measures, one after the other on the same Redis and PostgreSQL:
//! un-pipelined `RPUSH` then vote at full speed, with Redis fsyncing once a
//! second and then before every answer; pipelined `RPUSH`; the raw
//! batched upsert then the worker draining a full queue; vote-to-screen
//! latency through all three services; and many idle `/events` clients on
//! result. Runs are repeated and each figure reported as its median with
//! min and max, in BENCHMARKS.md with an SVG plot. The full run then
//! measures the developer loop too ([`flow`]); the smoke run does not.

pub mod bare;
pub mod cli;
pub mod cluster;
mod command;
mod failures;
#[cfg(test)]
mod fixture;
pub mod flow;
mod images;
mod kept;
mod limits;
mod machine;
mod markdown;
mod phases;
mod plot;
mod procs;
mod results;
mod stack;
mod stats;
mod tables;

use std::path::{Path, PathBuf};
use std::time::Duration;

use limits::CLIENTS;
use loadgen::Pace;
use tokio::time::Instant;

pub use crate::results::{Results, Verdict};

/// Why the benchmark could not finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Building the service binaries failed.
    #[error("building the services failed: {0}")]
    Build(String),
    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// A service did not become healthy.
    #[error("{service} did not become healthy; see {}", log.display())]
    Unhealthy {
        /// The service.
        service: &'static str,
        /// Its log.
        log: PathBuf,
    },
    /// An external tool failed.
    #[error("{tool}: {reason}")]
    Tool {
        /// The tool.
        tool: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// Redis refused a command.
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// PostgreSQL refused a statement.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// The load generator could not start.
    #[error("load generator: {0}")]
    Load(#[from] loadgen::Error),
    /// A phase made no progress.
    #[error("{0}")]
    Stalled(&'static str),
    /// Drawing the plot failed.
    #[error("drawing the plot: {0}")]
    Plot(String),
}

/// How big each phase is.
#[derive(Debug, Clone)]
pub struct Sizes {
    /// Requests of each un-pipelined `redis-benchmark`.
    pub rpush_requests: u64,
    /// Requests of each pipelined `redis-benchmark`.
    pub rpush_pipelined_requests: u64,
    /// Warm-up of the vote load.
    pub vote_warmup: Duration,
    /// Measured length of the vote load.
    pub vote_duration: Duration,
    /// Rows of the raw upsert.
    pub upsert_rows: usize,
    /// Votes the worker drains.
    pub drain_votes: usize,
    /// Batch size of the raw upsert and the worker: the worker's default.
    pub batch: usize,
    /// Votes per second of the vote-to-screen load.
    pub screen_rate: f64,
    /// Length of the vote-to-screen load.
    pub screen_duration: Duration,
    /// Voters already in the table for the second vote-to-screen load.
    pub screen_voters: usize,
    /// Idle `/events` clients.
    pub sse_clients: usize,
}

impl Sizes {
    /// The full benchmark: a few seconds per phase, minutes in all.
    pub fn full() -> Sizes {
        Sizes {
            rpush_requests: 400_000,
            rpush_pipelined_requests: 4_000_000,
            vote_warmup: Duration::from_secs(1),
            vote_duration: Duration::from_secs(5),
            upsert_rows: 300_000,
            drain_votes: 300_000,
            batch: 1000,
            screen_rate: 1000.0,
            screen_duration: Duration::from_secs(10),
            screen_voters: 1_000_000,
            sse_clients: 10_000,
        }
    }

    /// A run of seconds that checks that every phase works, not how fast.
    pub fn smoke() -> Sizes {
        Sizes {
            rpush_requests: 10_000,
            rpush_pipelined_requests: 50_000,
            vote_warmup: Duration::from_millis(100),
            vote_duration: Duration::from_millis(500),
            upsert_rows: 5_000,
            drain_votes: 5_000,
            batch: 1000,
            screen_rate: 500.0,
            screen_duration: Duration::from_secs(1),
            screen_voters: 10_000,
            sse_clients: 100,
        }
    }
}

/// What to run and where the outputs go.
#[derive(Debug, Clone)]
pub struct Options {
    /// Phase sizes.
    pub sizes: Sizes,
    /// How many times every phase runs.
    pub runs: usize,
    /// Where BENCHMARKS.md and BENCHMARKS.svg are written.
    pub out: PathBuf,
    /// Where the service binaries are.
    pub bins: PathBuf,
    /// Whether to build the service binaries first.
    pub build: bool,
    /// The command line that reproduces this run, for the report.
    pub command: String,
    /// Whether the full run also measures the developer loop (as
    /// `--flow`, with at most [`FLOW_RUNS`] runs); the smoke run does not.
    pub with_flow: bool,
}

/// Runs of the developer loop within the full benchmark: each is a watch
/// session of half a minute, and the whole stays under 15 minutes.
pub const FLOW_RUNS: usize = 3;

/// Runs the benchmark, writes BENCHMARKS.md and the plot into
/// `options.out`, and returns what it measured.
pub async fn run(options: &Options) -> Result<Results, Error> {
    let started = Instant::now();
    raise_file_limit();
    let machine = machine::Machine::describe();
    let load_before = machine::load_average();
    if options.build {
        testkit::build_services(&options.bins).map_err(Error::Build)?;
    }
    let mut stack = stack::Stack::start(&options.bins, &options.bins.join("bench-logs")).await?;
    let sizes = &options.sizes;
    let mut runs = Vec::new();
    for n in 1..=options.runs {
        eprintln!("run {n} of {}", options.runs);
        runs.push(one_run(&mut stack, sizes).await?);
    }
    let results = Results {
        machine,
        sizes: sizes.clone(),
        runs,
        images: images::sizes().await,
        load: (load_before, machine::load_average()),
        elapsed: started.elapsed(),
    };
    write(&results, &options.out, &options.command)?;
    eprintln!("\n{}", markdown::summary(&results));
    if options.with_flow {
        eprintln!("\nthe developer loop");
        let flow = Options {
            runs: options.runs.min(FLOW_RUNS),
            ..options.clone()
        };
        flow::run(&flow).await?;
    }
    Ok(results)
}

async fn one_run(stack: &mut stack::Stack, sizes: &Sizes) -> Result<results::Run, Error> {
    let (redis_port, redis_pid) = (stack.redis.port(), stack.redis_pid);
    let rpush = limits::rpush(redis_port, redis_pid, sizes.rpush_requests, None).await?;
    step("RPUSH un-pipelined", stats::per_second(rpush.rate));
    let (warmup, duration) = (sizes.vote_warmup, sizes.vote_duration);
    let vote = phases::vote::run(stack, Pace::Max, warmup, duration).await?;
    step("vote POST", rate_and_p99(&vote));
    let bare_lean = phases::bare::run(stack, bare::Kind::Lean, Pace::Max, warmup, duration).await?;
    step("bare HTTP (lean)", rate_and_p99(&bare_lean));
    let bare_axum = phases::bare::run(stack, bare::Kind::Axum, Pace::Max, warmup, duration).await?;
    step("bare HTTP (axum)", rate_and_p99(&bare_axum));
    let open = phases::open_loop::run(stack, vote.report.throughput, warmup, duration).await?;
    for o in &open {
        let what = format!("  … open loop at {}", o.percent());
        step(&what, rate_and_p99(&o.vote));
        step("    bare HTTP (lean)", rate_and_p99(&o.bare));
    }
    let wrk = phases::wrk::run(stack, warmup + duration).await?;
    step("wrk: vote", wrk_rate(wrk.vote.as_ref()));
    step("wrk: bare HTTP (lean)", wrk_rate(wrk.bare.as_ref()));
    let vote_always = phases::fsync::run(stack, sizes.vote_warmup, sizes.vote_duration).await?;
    step("  … appendfsync always", rate_and_p99(&vote_always));
    let pipeline = Some(limits::PIPELINE);
    let pipelined = limits::rpush(
        redis_port,
        redis_pid,
        sizes.rpush_pipelined_requests,
        pipeline,
    );
    let rpush_pipelined = pipelined.await?.rate;
    step("RPUSH pipelined", stats::per_second(rpush_pipelined));
    let postgres = procs::with_children(stack.postgres_pid);
    let upsert = limits::raw_upsert(&stack.db, postgres, sizes.upsert_rows, sizes.batch).await?;
    step("raw batched upsert", stats::per_second(upsert.rate));
    let drain = phases::drain::run(stack, sizes.drain_votes, sizes.batch).await?;
    step("worker drain", stats::per_second(drain.rate));
    let batches = phases::batches::run(stack, sizes.upsert_rows, sizes.drain_votes).await?;
    for b in &batches {
        let ratio = stats::ratio(b.drain.rate / b.upsert);
        let what = format!("  … batch {}", b.batch);
        let rates = format!(
            "{} ÷ {}",
            stats::per_second(b.drain.rate),
            stats::per_second(b.upsert)
        );
        step(&what, format!("{rates} = {ratio}"));
    }
    let (rate, duration, batch) = (sizes.screen_rate, sizes.screen_duration, sizes.batch);
    let few = phases::screen::CONNECTIONS;
    let screen = phases::screen::run(stack, rate, few, duration, batch, 0).await?;
    step("vote-to-screen p99", screen_p99(&screen));
    let voters = sizes.screen_voters;
    let screen_full = phases::screen::run(stack, rate, few, duration, batch, voters).await?;
    step(
        &format!("  … {} voters", stats::thousands(voters as f64)),
        screen_p99(&screen_full),
    );
    // A fifth of vote's closed-loop throughput, on as many connections.
    let high = (vote.report.throughput / 5.0).max(rate);
    let screen_high = phases::screen::run(stack, high, CLIENTS, duration, batch, 0).await?;
    step(
        &format!("  … at {}", stats::per_second(high)),
        screen_p99(&screen_high),
    );
    let sse = phases::sse::run(stack, sizes.sse_clients).await?;
    step(
        "idle SSE clients",
        format!(
            "{} of {} open, result RSS {}{}",
            sse.open,
            sse.clients,
            stats::mib(sse.loaded.rss_mib),
            if sse.failures.is_empty() {
                String::new()
            } else {
                format!(", failed: {}", sse.failures.show())
            }
        ),
    );
    Ok(results::Run {
        rpush: rpush.rate,
        rpush_cpu: rpush.cpu,
        rpush_pipelined,
        vote,
        bare_lean,
        bare_axum,
        open,
        wrk,
        vote_always,
        upsert: upsert.rate,
        upsert_cpu: upsert.cpu,
        drain_batch: sizes.batch,
        drain,
        batches,
        screen,
        screen_full,
        screen_high,
        sse,
    })
}

fn rate_and_p99(vote: &phases::vote::VoteRun) -> String {
    format!(
        "{}, p99 {}",
        stats::per_second(vote.report.throughput),
        stats::ms(vote.report.latency.p99_ms)
    )
}

fn wrk_rate(run: Option<&phases::wrk::WrkRun>) -> String {
    run.map_or("wrk not installed".into(), |w| {
        format!(
            "{}, p99 {}",
            stats::per_second(w.throughput),
            stats::ms(w.p99_ms)
        )
    })
}

fn screen_p99(screen: &phases::screen::ScreenRun) -> String {
    let p99 = screen.report.screen.as_ref().map(|s| s.latency.p99_ms);
    p99.map_or("not measured".into(), stats::ms)
}

fn step(what: &str, value: String) {
    eprintln!("  {what:<22} {value}");
}

/// Writes BENCHMARKS.md (keeping its Cluster and Developer loop sections
/// and its hand-written notes) and BENCHMARKS.svg.
fn write(results: &Results, out: &Path, command: &str) -> Result<(), Error> {
    let io = |what: String| move |source| Error::Io { what, source };
    std::fs::create_dir_all(out).map_err(io(format!("creating {}", out.display())))?;
    let svg = out.join("BENCHMARKS.svg");
    plot::draw(results, &svg)?;
    let md_path = out.join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&md_path).unwrap_or_default();
    let notes = old
        .split_once(markdown::NOTES_MARKER)
        .map_or_else(|| "\n".to_owned(), |(_, notes)| notes.to_owned());
    let kept: String = [kept::CLUSTER, kept::FLOW]
        .iter()
        .filter_map(|k| k.existing(&old))
        .map(|section| format!("{section}\n"))
        .collect();
    let text = format!(
        "{}{kept}{}{notes}",
        markdown::render(results, "BENCHMARKS.svg", command),
        markdown::NOTES_MARKER
    );
    std::fs::write(&md_path, text).map_err(io(format!("writing {}", md_path.display())))?;
    eprintln!("wrote {} and {}", md_path.display(), svg.display());
    Ok(())
}

/// Ten thousand idle clients need ten thousand sockets: lift the soft limit
/// on open files to the hard one.
fn raise_file_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

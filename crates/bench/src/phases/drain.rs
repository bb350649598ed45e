//! The worker draining a queue filled in advance.

use std::time::Duration;

use tokio::time::Instant;
use voting::ballot::Choice;
use voting::queue::{QUEUE_KEY, QueuedVote};

use crate::Error;
use crate::failures::Failures;
use crate::limits::rand_prefix;
use crate::procs::{CpuMeter, Memory, PeakMemory, with_children};
use crate::stack::Stack;

/// Votes pushed per `RPUSH` while filling the queue.
const FILL_CHUNK: usize = 10_000;

/// How often the queue's length is read while the worker drains it.
const POLL: Duration = Duration::from_millis(2);

/// How long draining may take before the phase gives up.
const PATIENCE: Duration = Duration::from_secs(120);

/// What one drain measured.
pub struct DrainRun {
    /// Votes moved into the table per second.
    pub rate: f64,
    /// The worker's peak memory.
    pub memory: Memory,
    /// Cores used by the worker, PostgreSQL and Redis meanwhile.
    pub cpu: Vec<(&'static str, f64)>,
    /// Queued votes that are not in the table afterwards.
    pub failures: Failures,
}

/// Fills the queue with `votes` votes of new voters, starts a worker with
/// `batch`, and times it from the last moment the queue was seen full (or
/// the worker's start, if it took before the first look) until the queue
/// and its processing list are empty. Queued votes missing from the table
/// count as failures.
pub async fn run(stack: &mut Stack, votes: usize, batch: usize) -> Result<DrainRun, Error> {
    stack.reset().await?;
    let mut conn = stack.redis().await;
    let prefix = rand_prefix();
    let ts = voting::queue::timestamp_micros();
    let messages: Vec<String> = (0..votes)
        .map(|i| {
            let choice = if i % 2 == 0 { Choice::A } else { Choice::B };
            QueuedVote::encode(&format!("{prefix:08x}{i:x}"), choice, ts + i as i64)
        })
        .collect();
    for chunk in messages.chunks(FILL_CHUNK) {
        let _: i64 = redis::cmd("RPUSH")
            .arg(QUEUE_KEY)
            .arg(chunk)
            .query_async(&mut conn)
            .await?;
    }
    let worker_id = format!("drain-{prefix:08x}");
    let spawned = Instant::now();
    let worker = stack.worker(batch, &worker_id).await?;
    let peak = PeakMemory::watch(worker.pid());
    let deadline = Instant::now() + PATIENCE;
    // The worker connects and claims its id first; the clock starts at the
    // last look that still found the queue full, so a worker that took
    // before the first look is timed from its start, never as 0 votes/s.
    let mut full_at = spawned;
    loop {
        let looked = Instant::now();
        if llen(&mut conn, QUEUE_KEY).await? < votes {
            break;
        }
        full_at = looked;
        if Instant::now() > deadline {
            return Err(Error::Stalled("the worker never started draining"));
        }
        tokio::time::sleep(POLL).await;
    }
    let mut groups = vec![("worker", vec![worker.pid()])];
    groups.push(("postgres", with_children(stack.postgres_pid)));
    groups.push(("redis", vec![stack.redis_pid]));
    let cpu = CpuMeter::start(groups);
    let processing = voting::queue::processing_key(&worker_id);
    let finished = loop {
        if llen(&mut conn, QUEUE_KEY).await? == 0 && llen(&mut conn, &processing).await? == 0 {
            break Instant::now();
        }
        if Instant::now() > deadline {
            return Err(Error::Stalled("the worker did not drain the queue"));
        }
        tokio::time::sleep(POLL).await;
    };
    let cpu = cpu.cores();
    let memory = peak.peak().await;
    worker.stop().await;
    let stored: i64 = stack
        .db
        .query_one("SELECT count(*) FROM votes", &[])
        .await?
        .get(0);
    let stored = u64::try_from(stored).unwrap_or(0);
    let mut failures = Failures::none();
    failures.add("missing votes", (votes as u64).saturating_sub(stored));
    Ok(DrainRun {
        rate: stored as f64 / (finished - full_at).as_secs_f64(),
        memory,
        cpu,
        failures,
    })
}

async fn llen(conn: &mut redis::aio::MultiplexedConnection, key: &str) -> Result<usize, Error> {
    Ok(redis::cmd("LLEN").arg(key).query_async(conn).await?)
}

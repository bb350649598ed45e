//! The worker draining a queue filled in advance.

use std::time::Duration;

use tokio::time::Instant;
use voting::ballot::Choice;
use voting::queue::{QUEUE_KEY, QueuedVote};

use crate::Error;
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
}

/// Fills the queue with `votes` votes of new voters, starts a worker with
/// `batch`, and times it from its first take until the queue and its
/// processing list are empty. Checks that every vote is in the table.
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
    let worker = stack.worker(batch, &worker_id).await?;
    let peak = PeakMemory::watch(worker.pid());
    let deadline = Instant::now() + PATIENCE;
    // The worker connects and claims its id first; the clock starts at its first take.
    let (started, remaining) = loop {
        let left = llen(&mut conn, QUEUE_KEY).await?;
        if left < votes {
            break (Instant::now(), left);
        }
        if Instant::now() > deadline {
            return Err(Error::Stalled("the worker never started draining"));
        }
        tokio::time::sleep(POLL).await;
    };
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
    if stored != votes as i64 {
        return Err(Error::Lost {
            expected: votes,
            stored,
        });
    }
    Ok(DrainRun {
        rate: remaining as f64 / (finished - started).as_secs_f64(),
        memory,
        cpu,
    })
}

async fn llen(conn: &mut redis::aio::MultiplexedConnection, key: &str) -> Result<usize, Error> {
    Ok(redis::cmd("LLEN").arg(key).query_async(conn).await?)
}

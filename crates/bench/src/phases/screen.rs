//! Vote-to-screen latency at a steady rate, through all three services,
//! from the click: each vote's latency runs from when the schedule meant
//! to send it, so vote's own answer time and any queueing in front of it
//! count, until the first tally on the result page that includes it.

use std::time::Duration;

use loadgen::{Limit, Pace, Report, ScreenFrom, ScreenProbe, VoteLoad};

use crate::Error;
use crate::failures::Failures;
use crate::procs::{Memory, PeakMemory};
use crate::stack::Stack;

/// Connections voting at 1,000 votes/s: each sends one vote every 10 ms,
/// as many separate browsers would.
pub const CONNECTIONS: usize = 10;

/// Left out of the latency while connections and caches warm up.
const WARMUP: Duration = Duration::from_millis(500);

/// What one vote-to-screen phase measured.
pub struct ScreenRun {
    /// Votes per second asked for.
    pub rate: f64,
    /// The load's report, whose `screen` holds the latency.
    pub report: Report,
    /// Peak memory of vote, worker and result under this load.
    pub memory: Vec<(&'static str, Memory)>,
    /// Failed requests, and acknowledged votes the screen never showed.
    pub failures: Failures,
}

/// Votes at `rate` per second on `connections` for `duration` through vote, a worker with
/// `batch` and result, watching result's `/events` as a browser would. The
/// table first holds `voters` earlier voters: result recounts the whole
/// table on every change, as the original app's query does.
pub async fn run(
    stack: &mut Stack,
    rate: f64,
    connections: usize,
    duration: Duration,
    batch: usize,
    voters: usize,
) -> Result<ScreenRun, Error> {
    stack.reset().await?;
    if voters > 0 {
        stack
            .db
            .execute(
                "INSERT INTO votes (id, vote, ts) SELECT 'seed' || to_hex(i), \
                 CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END, 0 FROM generate_series(1, $1::int) i",
                &[&(voters as i32)],
            )
            .await?;
        stack.db.batch_execute("ANALYZE votes").await?;
    }
    let vote = stack.vote().await?;
    let worker = stack.worker(batch, "screen").await?;
    let result = stack.result().await?;
    let peaks = [
        ("vote", PeakMemory::watch(vote.pid())),
        ("worker", PeakMemory::watch(worker.pid())),
        ("result", PeakMemory::watch(result.pid())),
    ];
    let probe = ScreenProbe::connect(&format!("{}events", result.url()), ScreenFrom::Send).await?;
    let report = VoteLoad::new(vote.url())
        .connections(connections)
        .pace(Pace::Rate(rate))
        .warmup(WARMUP)
        .limit(Limit::Duration(duration))
        .screen(probe)
        .start()
        .await?
        .wait()
        .await;
    let mut memory = Vec::new();
    for (name, peak) in peaks {
        memory.push((name, peak.peak().await));
    }
    vote.stop().await;
    worker.stop().await;
    result.stop().await;
    let failures = Failures::of_load(&report);
    Ok(ScreenRun {
        rate,
        report,
        memory,
        failures,
    })
}

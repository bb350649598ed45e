//! vote's POST throughput and latency at 50 connections: closed loop for
//! its throughput, or on a fixed schedule (see [`crate::phases::open_loop`]).

use std::time::Duration;

use loadgen::{Limit, Pace, Report, VoteLoad};
use voting::queue::QUEUE_KEY;

use crate::Error;
use crate::failures::Failures;
use crate::limits::CLIENTS;
use crate::procs::{CpuMeter, Memory, PeakMemory};
use crate::stack::Stack;

/// What one vote load measured, at vote or at a bare server.
pub struct VoteRun {
    /// The load generator's report.
    pub report: Report,
    /// vote's peak memory under the load.
    pub memory: Memory,
    /// Cores used by vote, Redis and the load generator meanwhile.
    pub cpu: Vec<(&'static str, f64)>,
    /// Failed requests, and acknowledged votes missing from the queue.
    pub failures: Failures,
}

/// Votes at `pace` (as fast as vote answers, or on a fixed schedule) on
/// [`CLIENTS`] connections, each vote from a new voter. No worker runs, so
/// every acknowledged vote must still be in the queue afterwards; those
/// that are not count as missing.
pub async fn run(
    stack: &mut Stack,
    pace: Pace,
    warmup: Duration,
    duration: Duration,
) -> Result<VoteRun, Error> {
    stack.reset().await?;
    let vote = stack.vote().await?;
    let peak = PeakMemory::watch(vote.pid());
    let cpu = CpuMeter::start(vec![
        ("vote", vec![vote.pid()]),
        ("redis", vec![stack.redis_pid]),
        ("loadgen", vec![std::process::id()]),
    ]);
    let report = VoteLoad::new(vote.url())
        .connections(CLIENTS)
        .pace(pace)
        .warmup(warmup)
        .limit(Limit::Duration(duration))
        .start()
        .await?
        .wait()
        .await;
    let cpu = cpu.cores();
    let memory = peak.peak().await;
    vote.stop().await;
    let mut conn = stack.redis().await;
    let queued: u64 = redis::cmd("LLEN")
        .arg(QUEUE_KEY)
        .query_async(&mut conn)
        .await?;
    let mut failures = Failures::of_load(&report);
    failures.add("missing votes", report.acknowledged.saturating_sub(queued));
    Ok(VoteRun {
        report,
        memory,
        cpu,
        failures,
    })
}

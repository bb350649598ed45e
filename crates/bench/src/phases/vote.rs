//! vote's POST throughput and latency at 50 connections, closed loop.

use std::time::Duration;

use loadgen::{Limit, Report, VoteLoad};

use crate::Error;
use crate::limits::CLIENTS;
use crate::procs::{CpuMeter, Memory, PeakMemory};
use crate::stack::Stack;

/// What one vote phase measured.
pub struct VoteRun {
    /// The load generator's report.
    pub report: Report,
    /// vote's peak memory under the load.
    pub memory: Memory,
    /// Cores used by vote, Redis and the load generator meanwhile.
    pub cpu: Vec<(&'static str, f64)>,
}

/// Votes as fast as vote answers, on [`CLIENTS`] connections, each vote
/// from a new voter.
pub async fn run(
    stack: &mut Stack,
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
        .warmup(warmup)
        .limit(Limit::Duration(duration))
        .start()
        .await?
        .wait()
        .await;
    let cpu = cpu.cores();
    let memory = peak.peak().await;
    vote.stop().await;
    Ok(VoteRun {
        report,
        memory,
        cpu,
    })
}

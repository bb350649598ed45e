//! The bare HTTP servers under the same load as vote: the HTTP ceiling on
//! this machine, for the same load generator and connection count.

use std::time::Duration;

use loadgen::{Limit, Pace, VoteLoad};

use crate::Error;
use crate::bare::Kind;
use crate::failures::Failures;
use crate::limits::CLIENTS;
use crate::phases::vote::VoteRun;
use crate::procs::{CpuMeter, PeakMemory};
use crate::stack::Stack;

/// Starts a bare server of `kind` and votes at it at `pace` on [`CLIENTS`]
/// connections exactly as the vote phase votes at vote. It keeps nothing,
/// so only failed requests count as failures.
pub async fn run(
    stack: &mut Stack,
    kind: Kind,
    pace: Pace,
    warmup: Duration,
    duration: Duration,
) -> Result<VoteRun, Error> {
    let server = stack.bare(kind).await?;
    let peak = PeakMemory::watch(server.pid());
    let cpu = CpuMeter::start(vec![
        (process(kind), vec![server.pid()]),
        ("loadgen", vec![std::process::id()]),
    ]);
    let report = VoteLoad::new(server.url())
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
    server.stop().await;
    let failures = Failures::of_load(&report);
    Ok(VoteRun {
        report,
        memory,
        cpu,
        failures,
    })
}

/// The server's name in the CPU table.
pub fn process(kind: Kind) -> &'static str {
    match kind {
        Kind::Lean => "bare server (lean)",
        Kind::Axum => "bare server (axum)",
    }
}

//! The detail tables of BENCHMARKS.md: latency, memory and CPU by phase.

use std::fmt::Write;

use crate::failures::Failures;
use crate::results::{Results, Run};
use crate::stats;

mod batches;
mod open;
mod wrk;

pub use batches::batches;
pub use open::open_loop;
pub use wrk::{ABSENT as WRK_ABSENT, wrk};

/// Picks one latency summary out of a run.
type LatencyOf<'a> = &'a dyn Fn(&Run) -> Option<loadgen::Latency>;
/// Picks the failures of the phase behind a latency row out of a run.
type FailuresOf = fn(&Run) -> &Failures;
/// Picks one process's memory out of a run.
type MemoryOf = Box<dyn Fn(&Run) -> Option<crate::procs::Memory>>;
/// Picks the CPU shares of one phase out of a run.
type CpuOf = fn(&Run) -> &Vec<(&'static str, f64)>;
/// Picks the rate of one phase out of a run.
type RateOf = fn(&Run) -> f64;

pub fn latency(md: &mut String, results: &Results) {
    let _ = writeln!(md, "\n## Latency\n");
    let _ = writeln!(
        md,
        "| what | p50 | p90 | p99 | p99.9 | max | failed |\n|---|---|---|---|---|---|---|"
    );
    let vote = |r: &Run| Some(r.vote.report.latency);
    let always = |r: &Run| Some(r.vote_always.report.latency);
    let screen = |r: &Run| r.screen.report.screen.as_ref().map(|s| s.latency);
    let full = |r: &Run| r.screen_full.report.screen.as_ref().map(|s| s.latency);
    let high = |r: &Run| r.screen_high.report.screen.as_ref().map(|s| s.latency);
    let high_rate = results.figure(|r| Some(r.screen_high.rate));
    let rate = results.sizes.screen_rate;
    let voters = stats::thousands(results.sizes.screen_voters as f64);
    let rows: [(String, LatencyOf, FailuresOf); 5] = [
        (
            "vote `POST /`, 50 connections, closed loop".into(),
            &vote,
            |r| &r.vote.failures,
        ),
        (
            "vote `POST /`, the same, Redis `appendfsync always`".into(),
            &always,
            |r| &r.vote_always.failures,
        ),
        (
            format!("vote-to-screen at {rate:.0} votes/s, empty table"),
            &screen,
            |r| &r.screen.failures,
        ),
        (
            format!("vote-to-screen at {rate:.0} votes/s, {voters} voters in the table"),
            &full,
            |r| &r.screen_full.failures,
        ),
        (
            format!(
                "vote-to-screen at a fifth of vote's rate ({}), empty table",
                high_rate.show(stats::per_second)
            ),
            &high,
            |r| &r.screen_high.failures,
        ),
    ];
    for (what, of, failed) in rows {
        let failures = results
            .runs
            .iter()
            .fold(Failures::none(), |all, r| all.and(failed(r)));
        let col = |pick: fn(&loadgen::Latency) -> f64| {
            results.figure(|r| of(r).map(|l| pick(&l))).show(stats::ms)
        };
        let _ = writeln!(
            md,
            "| {what} | {} | {} | {} | {} | {} | {} |",
            col(|l| l.p50_ms),
            col(|l| l.p90_ms),
            col(|l| l.p99_ms),
            col(|l| l.p999_ms),
            col(|l| l.max_ms),
            failures.show()
        );
    }
    let fan_out = results.figure(|r| r.sse.fan_out_ms);
    let _ = writeln!(
        md,
        "\nOne change reaches all {} idle `/events` clients in {}.",
        stats::thousands(results.sizes.sse_clients as f64),
        fan_out.show(stats::ms)
    );
    for (n, run) in results.runs.iter().enumerate() {
        if !run.sse.failures.is_empty() {
            let _ = writeln!(
                md,
                "In run {}, {} of {} clients were open (failed: {}); the RSS goal is not reached.",
                n + 1,
                run.sse.open,
                run.sse.clients,
                run.sse.failures.show()
            );
        }
    }
}

pub fn memory(md: &mut String, results: &Results) {
    let _ = writeln!(md, "\n## Memory\n");
    let _ = writeln!(
        md,
        "| service | while | peak RSS | peak PSS |\n|---|---|---|---|"
    );
    let screen = |name: &'static str| {
        move |r: &Run| {
            r.screen
                .memory
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, m)| *m)
        }
    };
    let rows: Vec<(&str, String, MemoryOf)> = vec![
        (
            "vote",
            "voting at full speed".into(),
            Box::new(|r: &Run| Some(r.vote.memory)),
        ),
        (
            "vote",
            format!("{:.0} votes/s", results.sizes.screen_rate),
            Box::new(screen("vote")),
        ),
        (
            "worker",
            "draining a full queue".into(),
            Box::new(|r: &Run| Some(r.drain.memory)),
        ),
        (
            "worker",
            format!("{:.0} votes/s", results.sizes.screen_rate),
            Box::new(screen("worker")),
        ),
        (
            "result",
            format!("{:.0} votes/s, 1 SSE client", results.sizes.screen_rate),
            Box::new(screen("result")),
        ),
        (
            "result",
            format!(
                "{:.0} votes/s, {} voters in the table",
                results.sizes.screen_rate,
                stats::thousands(results.sizes.screen_voters as f64)
            ),
            Box::new(|r: &Run| {
                let memory = &r.screen_full.memory;
                memory.iter().find(|(n, _)| *n == "result").map(|(_, m)| *m)
            }),
        ),
        (
            "result",
            "idle, no client".into(),
            Box::new(|r: &Run| Some(r.sse.idle)),
        ),
        (
            "result",
            format!(
                "{} idle SSE clients",
                stats::thousands(results.sizes.sse_clients as f64)
            ),
            Box::new(|r: &Run| Some(r.sse.loaded)),
        ),
    ];
    for (service, when, of) in rows {
        let rss = results
            .figure(|r| of(r).map(|m| m.rss_mib))
            .show(stats::mib);
        let pss = results
            .figure(|r| of(r).map(|m| m.pss_mib))
            .show(stats::mib);
        let _ = writeln!(md, "| {service} | {when} | {rss} | {pss} |");
    }
}

pub fn cpu(md: &mut String, results: &Results) {
    let _ = writeln!(md, "\n## Where the CPU went\n");
    let _ = writeln!(
        md,
        "Cores busy on average (1.00 = one core all the time; the machine has {}), and the CPU \
         time each process spent per operation of the phase. Side by side, a ratio of \
         throughputs is about the inverse ratio of the summed CPU times per operation, since \
         both share the same cores.\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let _ = writeln!(
        md,
        "| phase | process | cores | CPU per operation |\n|---|---|---|---|"
    );
    let phases: [(&str, CpuOf, RateOf); 7] = [
        ("`RPUSH` un-pipelined", |r| &r.rpush_cpu, |r| r.rpush),
        (
            "vote at full speed",
            |r| &r.vote.cpu,
            |r| r.vote.report.throughput,
        ),
        (
            "bare HTTP server (lean) at full speed",
            |r| &r.bare_lean.cpu,
            |r| r.bare_lean.report.throughput,
        ),
        (
            "bare axum handler at full speed",
            |r| &r.bare_axum.cpu,
            |r| r.bare_axum.report.throughput,
        ),
        (
            "vote, `appendfsync always`",
            |r| &r.vote_always.cpu,
            |r| r.vote_always.report.throughput,
        ),
        ("raw batched upsert", |r| &r.upsert_cpu, |r| r.upsert),
        ("worker draining", |r| &r.drain.cpu, |r| r.drain.rate),
    ];
    for (phase, of, rate) in phases {
        let Some(first) = results.runs.first() else {
            continue;
        };
        for (process, _) in of(first) {
            let cores_of = |r: &Run| of(r).iter().find(|(p, _)| p == process).map(|(_, c)| *c);
            let cores = results.figure(cores_of);
            let per_op = results.figure(|r| Some(cores_of(r)? * 1e6 / rate(r)));
            let _ = writeln!(
                md,
                "| {phase} | {process} | {} | {} |",
                cores.show(|v| format!("{v:.2}")),
                per_op.show(|v| format!("{v:.1} µs"))
            );
        }
    }
}

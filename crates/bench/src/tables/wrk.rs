//! The two-load-generators table of BENCHMARKS.md: loadgen and wrk against
//! the same targets in the same run.

use std::fmt::Write;

use crate::failures::Failures;
use crate::phases::vote::VoteRun;
use crate::phases::wrk::WrkRun;
use crate::results::{Results, Run};
use crate::stats;

/// Picks loadgen's load of one target out of a run.
type LoadgenOf = fn(&Run) -> &VoteRun;
/// Picks wrk's load of the same target out of a run.
type WrkOf = fn(&Run) -> Option<&WrkRun>;

/// What the wrk cells say when wrk is not on the machine.
pub const ABSENT: &str = "wrk not installed (`apt-get install wrk`)";

/// One row per target: both throughputs, their ratio, wrk's latency and
/// failures; a row without wrk says so and fails nothing.
pub fn wrk(md: &mut String, results: &Results) {
    let _ = writeln!(md, "\n## Two load generators\n");
    let _ = writeln!(
        md,
        "loadgen's closed-loop throughput beside Debian's `wrk` against the same target in \
         the same run, both on one thread and {} connections, voting the same way; a ratio \
         away from 1.00× is a bias of one of them. wrk's latency is its own (from send to \
         answer).\n",
        crate::limits::CLIENTS
    );
    let _ = writeln!(
        md,
        "| target | loadgen | wrk | loadgen ÷ wrk | wrk p50 | wrk p99 | wrk failed |\n\
         |---|---|---|---|---|---|---|"
    );
    let targets: [(&str, LoadgenOf, WrkOf); 2] = [
        ("vote `POST /`", |r| &r.vote, |r| r.wrk.vote.as_ref()),
        (
            "bare HTTP server (lean)",
            |r| &r.bare_lean,
            |r| r.wrk.bare.as_ref(),
        ),
    ];
    for (target, loadgen, wrk) in targets {
        let ours = results.figure(|r| Some(loadgen(r).report.throughput));
        if results.runs.iter().all(|r| wrk(r).is_none()) {
            let _ = writeln!(
                md,
                "| {target} | {} | {ABSENT} | not measured | | | |",
                ours.show(stats::per_second)
            );
            continue;
        }
        let theirs = results.figure(|r| Some(wrk(r)?.throughput));
        let ratio = results.figure(|r| Some(loadgen(r).report.throughput / wrk(r)?.throughput));
        let failures = results.runs.iter().fold(Failures::none(), |all, r| {
            wrk(r).map_or(all.clone(), |w| all.and(&w.failures))
        });
        let _ = writeln!(
            md,
            "| {target} | {} | {} | {} | {} | {} | {} |",
            ours.show(stats::per_second),
            theirs.show(stats::per_second),
            ratio.show(stats::ratio),
            results.figure(|r| Some(wrk(r)?.p50_ms)).show(stats::ms),
            results.figure(|r| Some(wrk(r)?.p99_ms)).show(stats::ms),
            failures.show()
        );
    }
}

//! The open-loop table of BENCHMARKS.md: latency on a fixed schedule, at
//! fractions of the closed-loop throughput of the same run.

use std::fmt::Write;

use crate::failures::Failures;
use crate::phases::open_loop::{self, FRACTIONS};
use crate::phases::vote::VoteRun;
use crate::results::{Results, Run};
use crate::stats;

/// Picks one open-loop load at a fraction out of a run.
type LoadOf = fn(&Run, f64) -> Option<&VoteRun>;

/// One row per load and fraction: the rate asked and achieved, the
/// latency from due times, and the failures.
pub fn open_loop(md: &mut String, results: &Results) {
    let _ = writeln!(md, "\n## Open-loop latency\n");
    let _ = writeln!(
        md,
        "Every vote has a due time on a fixed schedule at a fraction of the closed-loop \
         throughput measured just before in the same run, on {} connections; its latency \
         counts from that due time, as wrk2 measures, so a stall shows as every vote it \
         delayed instead of as one slow request (no coordinated omission).\n",
        crate::limits::CLIENTS
    );
    let _ = writeln!(
        md,
        "| load | asked | achieved | p50 | p90 | p99 | p99.9 | max | failed |\n\
         |---|---|---|---|---|---|---|---|---|"
    );
    let loads: [(&str, LoadOf); 2] = [
        ("vote `POST /`", |r, f| r.open_at(f).map(|o| &o.vote)),
        ("bare HTTP server (lean), the same schedule,", |r, f| {
            r.open_at(f).map(|o| &o.bare)
        }),
    ];
    for (load, of) in loads {
        for fraction in FRACTIONS {
            let asked = results.figure(|r| r.open_at(fraction).map(|o| o.rate));
            let achieved = results.figure(|r| Some(of(r, fraction)?.report.throughput));
            let col = |latency: fn(&loadgen::Latency) -> f64| {
                let figure = results.figure(|r| Some(latency(&of(r, fraction)?.report.latency)));
                figure.show(stats::ms)
            };
            let failures = results.runs.iter().fold(Failures::none(), |all, r| {
                of(r, fraction).map_or(all.clone(), |load| all.and(&load.failures))
            });
            let _ = writeln!(
                md,
                "| {load} at {} of vote's closed-loop rate | {} | {} | {} | {} | {} | {} | {} | {} |",
                open_loop::percent(fraction),
                asked.show(stats::per_second),
                achieved.show(stats::per_second),
                col(|l| l.p50_ms),
                col(|l| l.p90_ms),
                col(|l| l.p99_ms),
                col(|l| l.p999_ms),
                col(|l| l.max_ms),
                failures.show()
            );
        }
    }
}

//! The Cluster section of BENCHMARKS.md, written by `bench --cluster`
//! between the markers of [`CLUSTER`].

use std::fmt::Write;

use super::{ClusterResults, ClusterRun};
use crate::failures::Failures;
use crate::kept::CLUSTER;
use crate::stats::{self, Figure};

/// Picks one figure out of a run.
type FigureOf = fn(&ClusterRun) -> f64;

/// The rollback goal of issue 15, in seconds.
const ROLLBACK_GOAL_SECS: f64 = 20.0;

/// The section, markers included.
pub fn render(results: &ClusterResults, command: &str) -> String {
    let m = &results.machine;
    let runs = &results.runs;
    let mut md = String::new();
    let _ = writeln!(md, "{}\n## Cluster\n", CLUSTER.begin);
    let _ = writeln!(
        md,
        "Measured by `{command}` on {}, commit `{}`{}, in {:.0} s, on a lab (`muelle lab`): \
         {} docker-in-docker Swarm nodes on this machine running deploy/stack.yaml with its \
         CPU limits (vote and Caddy 0.5 core each). Median of {} run{} [min–max]. Rolling \
         updates and rollbacks run under {} votes/s through the HTTPS ingress from the host; \
         throughput is loadgen's full pace on {} connections from a Swarm job on a worker, \
         with vote at one replica so that both loads reach the same task.\n",
        m.date,
        m.commit,
        if m.dirty { " (work tree dirty)" } else { "" },
        results.elapsed.as_secs_f64(),
        results.nodes,
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
        super::rollout::RATE,
        crate::limits::CLIENTS,
    );
    let figure = |of: FigureOf| Figure::new(runs.iter().map(|r| Some(of(r))));
    let failed = |of: fn(&ClusterRun) -> &Failures| {
        runs.iter().fold(Failures::none(), |all, r| all.and(of(r)))
    };
    let update_failed = failed(|r| &r.rollout.update.failures);
    let rollback_failed = failed(|r| &r.rollout.rollback.failures);
    let rollback = figure(|r| r.rollout.rollback.replicas_secs);
    let (fast, all) = rollback.runs_where(|s| s < ROLLBACK_GOAL_SECS);
    let _ = writeln!(md, "| goal | measured | failed requests | reached |");
    let _ = writeln!(md, "|---|---|---|---|");
    let _ = writeln!(
        md,
        "| no failed request during a rolling update of vote | {} | {} | {} |",
        update_failed.total(),
        update_failed.show(),
        verdict(update_failed.is_empty(), runs.len(), runs.len()),
    );
    let _ = writeln!(
        md,
        "| rollback of vote < 20 s: `muelle rollback` until every replica runs the previous digest | {} | {} | {} |",
        rollback.show(secs),
        rollback_failed.show(),
        verdict(rollback_failed.is_empty() && fast == all, fast, all),
    );
    let _ = writeln!(md, "\n| figure | median [min–max] |\n|---|---|");
    let rows: [(&str, FigureOf); 3] = [
        (
            "update of vote: `muelle update` until every replica runs the new digest",
            |r| r.rollout.update.replicas_secs,
        ),
        (
            "… until `muelle update` returned (Swarm's monitor window, then every task checked)",
            |r| r.rollout.update.command_secs,
        ),
        ("… until `muelle rollback` returned", |r| {
            r.rollout.rollback.command_secs
        }),
    ];
    for (what, of) in rows {
        let _ = writeln!(md, "| {what} | {} |", figure(of).show(secs));
    }
    let through = failed(|r| &r.ingress.failures).and(&failed(|r| &r.direct.failures));
    for (what, of) in [
        (
            "vote through the ingress (HTTPS, Caddy, overlay)",
            (|r| r.ingress.throughput) as FigureOf,
        ),
        ("vote served directly (plain HTTP, overlay)", |r| {
            r.direct.throughput
        }),
    ] {
        let _ = writeln!(md, "| {what} | {} |", figure(of).show(stats::per_second));
    }
    let _ = writeln!(
        md,
        "| ingress ÷ direct | {} |",
        figure(|r| r.ingress.throughput / r.direct.throughput).show(stats::ratio)
    );
    if !through.is_empty() {
        let _ = writeln!(
            md,
            "\nFailed requests in the throughput loads: {}.",
            through.show()
        );
    }
    let _ = writeln!(md, "\n{}", CLUSTER.end);
    md
}

fn secs(value: f64) -> String {
    format!("{value:.1} s")
}

fn verdict(reached: bool, good: usize, all: usize) -> String {
    let word = if reached { "yes" } else { "**no**" };
    format!("{word} ({good}/{all} runs)")
}

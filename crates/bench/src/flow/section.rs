//! The Developer loop section of BENCHMARKS.md, written by `bench --flow`
//! between the markers of [`FLOW`].

use std::fmt::Write;

use super::{FlowResults, FlowRun, SAVES};
use crate::kept::FLOW;
use crate::stats::Figure;

/// A goal: what it measures, its limit in seconds, and the samples.
struct Goal {
    what: &'static str,
    limit: f64,
    figure: Figure,
}

/// The section, markers included.
pub fn render(results: &FlowResults, command: &str) -> String {
    let m = &results.machine;
    let runs = &results.runs;
    let mut md = String::new();
    let _ = writeln!(md, "{}\n## Developer loop\n", FLOW.begin);
    let _ = writeln!(
        md,
        "Measured by `{command}` on {}, commit `{}`{}, in {:.0} s, on the local environment \
         (deploy/compose.yaml under its own project name). Each run: `muelle up` with \
         everything up, then `muelle up --watch vote` (which builds the watch profile before \
         it watches and runs vote's binary from the host), then {} saves of vote's page \
         source, each timed from the write until vote serves the changed page. Median of {} \
         run{} [min–max].\n",
        m.date,
        m.commit,
        if m.dirty { " (work tree dirty)" } else { "" },
        results.elapsed.as_secs_f64(),
        SAVES + 1,
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
    );
    let figure = |of: fn(&FlowRun) -> f64| Figure::new(runs.iter().map(|r| Some(of(r))));
    let goals = [
        Goal {
            what: "warm `muelle up`, nothing changed",
            limit: 5.0,
            figure: figure(|r| r.warm_up),
        },
        Goal {
            what: "save → new vote page served with `--watch`, warm",
            limit: 3.0,
            figure: Figure::new(runs.iter().flat_map(|r| r.saves.iter().map(|s| Some(*s)))),
        },
        Goal {
            what: "first save after `up --watch` starts → served",
            limit: 10.0,
            figure: figure(|r| r.first_save),
        },
    ];
    let _ = writeln!(md, "| goal | measured | reached |");
    let _ = writeln!(md, "|---|---|---|");
    for goal in &goals {
        let (good, all) = goal.figure.runs_where(|s| s < goal.limit);
        let word = if good == all && all > 0 {
            "yes"
        } else {
            "**no**"
        };
        let _ = writeln!(
            md,
            "| {} < {:.0} s | {} | {word} ({good}/{all}) |",
            goal.what,
            goal.limit,
            goal.figure.show(secs)
        );
    }
    let _ = writeln!(md, "\n| figure | median [min–max] |\n|---|---|");
    let _ = writeln!(
        md,
        "| `muelle up --watch vote` until it watches (watch build warmed, vote restarted on the host's binary) | {} |",
        figure(|r| r.watch_start).show(secs)
    );
    let _ = writeln!(md, "\n{}", FLOW.end);
    md
}

fn secs(value: f64) -> String {
    format!("{value:.2} s")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::Machine;

    #[test]
    fn every_goal_is_a_row_and_a_slow_save_is_not_reached() {
        let run = |save: f64| FlowRun {
            warm_up: 0.8,
            watch_start: 4.0,
            first_save: 6.0,
            saves: vec![2.0, save, 2.2],
        };
        let results = FlowResults {
            machine: Machine::describe(),
            runs: vec![run(2.1), run(3.5)],
            elapsed: std::time::Duration::from_secs(60),
        };
        let md = render(&results, "cargo run --release -p bench -- --flow");
        assert!(
            md.starts_with(FLOW.begin) && md.trim_end().ends_with(FLOW.end),
            "{md}"
        );
        assert!(
            md.contains(
                "| warm `muelle up`, nothing changed < 5 s | 0.80 s [0.80 s–0.80 s] | yes (2/2) |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "served with `--watch`, warm < 3 s | 2.15 s [2.00 s–3.50 s] | **no** (5/6) |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| first save after `up --watch` starts → served < 10 s | 6.00 s [6.00 s–6.00 s] | yes (2/2) |"
            ),
            "{md}"
        );
    }
}

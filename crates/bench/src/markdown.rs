//! BENCHMARKS.md, and the same figures as a summary on the terminal.

use std::fmt::Write;

use crate::phases::batches::OTHER_BATCHES;
use crate::phases::open_loop::{self, FRACTIONS};
use crate::results::{Results, Run, Verdict};
use crate::stats::{self, Figure};
use crate::tables;

/// Everything below this line in an existing BENCHMARKS.md is written by
/// people (analysis, profiles) and kept as it is when the file is rewritten.
pub const NOTES_MARKER: &str =
    "<!-- Generated above by the benchmark; notes below are kept when it runs again. -->";

/// The generated part of BENCHMARKS.md.
pub fn render(results: &Results, plot: &str, command: &str) -> String {
    let mut md = String::new();
    let m = &results.machine;
    let runs = results.runs.len();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Measured by `{command}` on {}, commit `{}` ({}), in {:.0} s. Every figure is the \
         median of {runs} run{} with [min–max]; every ratio divides two figures measured \
         one after the other in the same run, on the same Redis and PostgreSQL. The load \
         generator runs on the same machine, so it shares the cores with what it measures \
         (see *Where the CPU went*).\n",
        m.date,
        if m.commit.is_empty() {
            "unknown"
        } else {
            &m.commit
        },
        if m.dirty {
            "**work tree dirty**: uncommitted changes were measured too"
        } else {
            "clean work tree"
        },
        results.elapsed.as_secs_f64(),
        if runs == 1 { "" } else { "s" },
    );
    let _ = writeln!(md, "## Machine\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    for (what, value) in [
        ("CPU", m.cpu.as_str()),
        ("memory", &m.memory),
        ("system", &m.os),
        (
            "Redis",
            &format!(
                "{} (append-only, fsync every second; before every answer in the \
                 `appendfsync always` rows)",
                m.redis
            ),
        ),
        (
            "PostgreSQL",
            &format!(
                "{} (default durability: fsync, synchronous commit)",
                m.postgres
            ),
        ),
        ("compiler", &m.rustc),
        (
            "load average (1 min) before / after",
            &format!("{} / {}", results.load.0, results.load.1),
        ),
    ] {
        let _ = writeln!(md, "| {what} | {value} |");
    }
    let _ = writeln!(md, "\n## Goals\n");
    goals_table(&mut md, results);
    let _ = writeln!(md, "\n## Against the limits, side by side\n");
    let _ = writeln!(
        md,
        "| ours | | the limit, same run | | ratio |\n|---|---|---|---|---|"
    );
    for (ours, ours_fig, limit, limit_fig, ratio) in side_by_side(results) {
        let _ = writeln!(
            md,
            "| {ours} | {} | {limit} | {} | {} |",
            ours_fig.show(stats::per_second),
            limit_fig.show(stats::per_second),
            ratio.show(stats::ratio)
        );
    }
    tables::batches(&mut md, results);
    tables::latency(&mut md, results);
    tables::open_loop(&mut md, results);
    tables::wrk(&mut md, results);
    tables::memory(&mut md, results);
    tables::cpu(&mut md, results);
    let _ = writeln!(md, "\n## Images\n");
    let _ = writeln!(
        md,
        "| service | image | size | built from |\n|---|---|---|---|"
    );
    for image in &results.images {
        let size = match &image.size_mb {
            Ok(mb) => format!("{mb:.1} MB"),
            Err(why) => why.clone(),
        };
        let built = image
            .stale(&m.commit)
            .unwrap_or_else(|| "the commit measured".into());
        let _ = writeln!(
            md,
            "| {} | `{}` | {size} | {built} |",
            image.service, image.reference
        );
    }
    let _ = writeln!(
        md,
        "\n## Plot\n\n![throughput against the limits, and latency percentiles]({plot})\n"
    );
    let s = &results.sizes;
    let _ = writeln!(md, "## How it was measured\n");
    let _ = writeln!(
        md,
        "- **Limits.** `redis-benchmark -t rpush -c 50 -n {}` un-pipelined, then with `-P 64` \
         (`-n {}`). The raw upsert is DESIGN.md §8's statement, `INSERT … SELECT * FROM \
         unnest($1, $2) ON CONFLICT (id) DO UPDATE`, {} rows of new voters in batches of {}, one \
         transaction per batch, one connection, into a twin of `votes` without the triggers that \
         keep result's tally (the worker pays for those; result sets them up before the first run).\n\
         - **vote.** `loadgen` on 50 keep-alive connections, closed loop, a new voter per vote, \
         {:.1} s of warm-up then {:.1} s measured; latency is from send to answer. No worker \
         runs, so every acknowledged vote must be in the queue afterwards.\n\
         - **HTTP ceiling.** The benchmark's own binary, started again as a bare server on \
         tokio's default runtime as vote is, under the same load right after vote: *lean* \
         reads each request with `httparse` and writes vote's JSON answer (same head, body \
         of the same length) in one write, doing nothing else; *axum* is DESIGN.md §8's bare \
         axum handler, which parses the form and the cookie and builds the JSON. The lean \
         one is the ceiling vote's ratio is taken against.\n\
         - **wrk.** Debian's `wrk -t1 -c 50 --timeout 10s` with a Lua script that votes as \
         loadgen does (a new voter per vote, options in turn, JSON answers), for the vote \
         phase's warm-up and length together rounded up to whole seconds (wrk has no \
         warm-up), against a fresh vote and then a fresh bare lean server.\n\
         - **Open loop.** The same load on a fixed schedule at {} of the closed-loop \
         throughput just measured (the same warm-up and length); latency is from each \
         vote's due time to its answer. The bare lean server follows each on the same schedule.\n\
         - **Durability.** The closed-loop vote phase again, with Redis set to `appendfsync \
         always` (`CONFIG SET`, then back to `everysec`): Redis then fsyncs its append-only file \
         before it answers, so an acknowledged vote survives a power loss; vote coalesces \
         concurrent votes into one `RPUSH`, so one fsync covers a batch.\n\
         - **worker.** {} votes queued first, then one worker with `BATCH_SIZE={}`; timed from \
         the last look that found the queue full (or the worker's start) until the queue and \
         its processing list are empty; a queued vote missing from the table counts as failed. \
         The same, with the raw upsert first, at batch sizes {} too.\n\
         - **vote-to-screen.** vote, worker and result together; `loadgen` votes at {:.0}/s on a \
         fixed schedule on 10 connections for {:.1} s while a probe follows result's `/events`; \
         a vote's latency runs from the click (when the schedule meant to send it, so vote's \
         answer and any wait for a connection count) to the first event whose total includes \
         it. Once on an empty table, once with {} earlier voters in it (the original app's \
         count scans them all; result reads its tally instead), and once on an empty table at \
         a fifth of the closed-loop vote throughput of the same run (or the rate above, if \
         that is higher), on 50 connections.\n\
         - **Idle SSE clients.** {} streams opened on a fresh result; RSS once all are open, and \
         the time from one `votes_changed` notification until every client had the new tally.\n\
         - **Memory** is the peak of `/proc/<pid>/smaps_rollup` sampled every 50 ms; **CPU** is \
         user + system time from `/proc/<pid>/stat` over the phase.\n",
        s.rpush_requests,
        s.rpush_pipelined_requests,
        stats::thousands(s.upsert_rows as f64),
        s.batch,
        s.vote_warmup.as_secs_f64(),
        s.vote_duration.as_secs_f64(),
        FRACTIONS.map(open_loop::percent).join(" and "),
        stats::thousands(s.drain_votes as f64),
        s.batch,
        OTHER_BATCHES.map(|b| b.to_string()).join(" and "),
        s.screen_rate,
        s.screen_duration.as_secs_f64(),
        stats::thousands(s.screen_voters as f64),
        stats::thousands(s.sse_clients as f64),
    );
    let _ = writeln!(md, "## Reproduce\n");
    let _ = writeln!(
        md,
        "```sh\ncargo run --release -p bench                     # this file and its plot, in a few minutes\n\
         cargo run --release -p bench -- --runs 9          # more runs than the default 5\n\
         cargo run -p bench -- --smoke                     # seconds: checks the benchmark works (CI)\n\
         cargo run --release -p loadgen -- vote http://localhost:5000/ -c 50 -d 10s\n\
         cargo run --release -p loadgen -- vote http://localhost:5000/ -r 1000 -d 10s --screen http://localhost:5001/events\n\
         cargo run --release -p loadgen -- watch http://localhost:5001/events -c 10000 -d 30s\n```\n"
    );
    md
}

/// The goals, each with its phases' failures and whether it was reached.
fn goals_table(md: &mut String, results: &Results) {
    let _ = writeln!(
        md,
        "Failed counts failed requests (by loadgen's kind), acknowledged votes missing from \
         the queue, the table or the screen, and failed SSE clients, over every run of the \
         goal's phases; any failure means the goal is not reached.\n"
    );
    let _ = writeln!(
        md,
        "| goal | target | measured | failed | reached |\n|---|---|---|---|---|"
    );
    for goal in results.goals() {
        let (met, of) = goal.runs;
        let verdict = match goal.verdict {
            Verdict::Reached => format!("yes ({met}/{of} runs)"),
            Verdict::Missed => format!("**no** ({met}/{of} runs)"),
            Verdict::Failed => format!("**no**: failures ({met}/{of} runs)"),
            Verdict::Unmeasured => "not measured".into(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {verdict} |",
            goal.what,
            goal.target,
            goal.measured,
            goal.failures.show()
        );
    }
}

/// (ours, its figure, the limit, its figure, per-run ratio)
fn side_by_side(results: &Results) -> Vec<(String, Figure, String, Figure, Figure)> {
    let s = &results.sizes;
    let row = |ours: &str, of: fn(&Run) -> f64, limit: &str, lim: fn(&Run) -> f64| {
        (
            ours.to_owned(),
            results.figure(|r| Some(of(r))),
            limit.to_owned(),
            results.figure(|r| Some(lim(r))),
            results.figure(|r| Some(of(r) / lim(r))),
        )
    };
    vec![
        row(
            "vote `POST /`, 50 connections",
            |r| r.vote.report.throughput,
            "bare HTTP server (lean), same POST and answer, 50 connections",
            |r| r.bare_lean.report.throughput,
        ),
        row(
            "vote `POST /`, 50 connections",
            |r| r.vote.report.throughput,
            "bare axum handler (parses the form, builds the JSON), 50 connections",
            |r| r.bare_axum.report.throughput,
        ),
        row(
            "vote `POST /`, 50 connections",
            |r| r.vote.report.throughput,
            "`RPUSH`, 50 clients, un-pipelined",
            |r| r.rpush,
        ),
        row(
            "vote `POST /`, 50 connections",
            |r| r.vote.report.throughput,
            "`RPUSH`, 50 clients, pipelined ×64",
            |r| r.rpush_pipelined,
        ),
        row(
            "vote `POST /`, Redis `appendfsync always`",
            |r| r.vote_always.report.throughput,
            "vote `POST /`, Redis `appendfsync everysec`",
            |r| r.vote.report.throughput,
        ),
        row(
            &format!("worker drain, batch {}", s.batch),
            |r| r.drain.rate,
            &format!("raw batched upsert, batch {}", s.batch),
            |r| r.upsert,
        ),
    ]
}

/// A short summary for the terminal: each goal and each ratio.
pub fn summary(results: &Results) -> String {
    let mut out = String::new();
    for (ours, ours_fig, limit, limit_fig, ratio) in side_by_side(results) {
        let _ = writeln!(
            out,
            "{:>8}  {ours}: {}  vs  {limit}: {}",
            ratio
                .show(stats::ratio)
                .split(' ')
                .next()
                .unwrap_or_default(),
            ours_fig.show(stats::per_second),
            limit_fig.show(stats::per_second)
        );
    }
    let _ = writeln!(out);
    for goal in results.goals() {
        let mark = match goal.verdict {
            Verdict::Reached => "ok  ",
            Verdict::Missed => "MISS",
            Verdict::Failed => "FAIL",
            Verdict::Unmeasured => "--  ",
        };
        let _ = writeln!(
            out,
            "{mark} {}: {} (target {}, failed {})",
            goal.what,
            goal.measured,
            goal.target,
            goal.failures.show()
        );
    }
    out
}

#[cfg(test)]
mod tests;

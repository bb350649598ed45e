//! What BENCHMARKS.md says about failures and freshness, rendered from runs
//! built in memory.

use super::{render, summary};
use crate::failures::Failures;
use crate::fixture;

/// The row of `goal` in the goals table.
fn row<'a>(md: &'a str, goal: &str) -> &'a str {
    md.lines()
        .find(|l| l.starts_with(&format!("| {goal} |")))
        .unwrap_or_else(|| panic!("no row {goal:?} in\n{md}"))
}

#[test]
fn a_clean_run_reaches_its_goals_with_nothing_failed() {
    let md = render(&fixture::results(vec![fixture::run()]), "p.svg", "bench");
    let rate = row(&md, "vote: POST rate, 50 connections");
    assert!(
        rate.ends_with("| 80,000/s | 0 | yes (1/1 runs) |"),
        "{rate}"
    );
    let drain = row(&md, "worker: drain rate, batch 1000");
    assert!(
        drain.ends_with("| 90,000/s | 0 | yes (1/1 runs) |"),
        "{drain}"
    );
    assert!(!md.contains("**no**"), "{md}");
}

#[test]
fn failed_requests_fail_the_rows_of_their_phase_with_the_count() {
    let mut run = fixture::run();
    run.vote.report.errors.insert("http_503".into(), 12);
    run.vote.failures = Failures::of_load(&run.vote.report);
    let md = render(&fixture::results(vec![run]), "p.svg", "bench");
    for goal in [
        "vote: POST rate, 50 connections",
        "vote: p99 latency, 50 connections",
        "vote ÷ un-pipelined RPUSH (DESIGN §8 aim)",
        "vote: peak RSS under load",
    ] {
        let line = row(&md, goal);
        assert!(
            line.ends_with("| 12 (request http_503 12) | **no**: failures (0/1 runs) |"),
            "{line}"
        );
    }
    let always = row(&md, "vote: POST rate, Redis `appendfsync always`");
    assert!(always.ends_with("| 0 | yes (1/1 runs) |"), "{always}");
    let latency = row(&md, "vote `POST /`, 50 connections, closed loop");
    assert!(
        latency.ends_with("| 12 (request http_503 12) |"),
        "{latency}"
    );
    assert!(summary(&fixture::results(vec![fixture::run()])).contains("ok   vote"));
}

#[test]
fn missing_votes_fail_the_drain_and_the_screen_rows() {
    let mut run = fixture::run();
    run.drain.failures.add("missing votes", 7);
    let screen = run.screen.report.screen.as_mut().expect("probed");
    screen.missing = 3;
    run.screen.failures = Failures::of_load(&run.screen.report);
    let clean = fixture::run();
    let md = render(&fixture::results(vec![run, clean]), "p.svg", "bench");
    let drain = row(&md, "worker ÷ raw batched upsert");
    assert!(
        drain.ends_with("| 7 (missing votes 7) | **no**: failures (1/2 runs) |"),
        "{drain}"
    );
    let screen = row(&md, "vote-to-screen p99 at 500 votes/s");
    assert!(
        screen.ends_with("| 3 (missing votes 3) | **no**: failures (1/2 runs) |"),
        "{screen}"
    );
    let full = row(
        &md,
        "vote-to-screen p99 at 500 votes/s, 10,000 voters in the table",
    );
    assert!(full.ends_with("| 0 | yes (2/2 runs) |"), "{full}");
}

#[test]
fn failed_sse_clients_fail_the_rss_row() {
    let mut run = fixture::run();
    run.sse.open = 98;
    run.sse.failures.add("SSE client connect", 2);
    let md = render(&fixture::results(vec![run]), "p.svg", "bench");
    let rss = row(&md, "result: RSS with 100 idle SSE clients");
    assert!(
        rss.ends_with("| not measured | 2 (SSE client connect 2) | **no**: failures (0/1 runs) |"),
        "{rss}"
    );
    assert!(md.contains("In run 1, 98 of 100 clients were open"), "{md}");
}

#[test]
fn the_header_names_the_commit_and_stale_images_are_not_judged() {
    let mut results = fixture::results(vec![fixture::run()]);
    let commit = results.machine.commit.clone();
    let clean = render(&results, "p.svg", "bench");
    assert!(
        clean.contains(&format!("commit `{commit}` (clean work tree)")),
        "{clean}"
    );
    results.machine.dirty = true;
    results.images = vec![
        crate::images::Image {
            service: "vote",
            reference: "voting/vote:local".into(),
            size_mb: Ok(12.0),
            revision: Some(commit.clone()),
        },
        crate::images::Image {
            service: "worker",
            reference: "voting/worker:local".into(),
            size_mb: Ok(13.0),
            revision: None,
        },
    ];
    let md = render(&results, "p.svg", "bench");
    assert!(md.contains("(**work tree dirty**"), "{md}");
    let fresh = row(&md, "vote: image size (voting/vote:local)");
    assert!(
        fresh.ends_with("| 12.0 MB | 0 | yes (1/1 runs) |"),
        "{fresh}"
    );
    let stale = row(&md, "worker: image size (voting/worker:local)");
    assert!(stale.contains("13.0 MB, stale: no `"), "{stale}");
    assert!(stale.ends_with("| not measured |"), "{stale}");
    assert!(
        md.contains("| worker | `voting/worker:local` | 13.0 MB | stale: no `"),
        "{md}"
    );
}

#[test]
fn open_loop_rows_show_the_rate_asked_and_fail_on_their_own_failures() {
    let mut run = fixture::run();
    let half = run
        .open
        .first_mut()
        .expect("the fixture has open-loop loads");
    half.vote.report.errors.insert("timeout".into(), 4);
    half.vote.failures = Failures::of_load(&half.vote.report);
    let md = render(&fixture::results(vec![run]), "p.svg", "bench");
    let goal = row(
        &md,
        "vote: p99 latency, open loop at 50% of its closed-loop rate",
    );
    assert!(
        goal.ends_with("| 4 (request timeout 4) | **no**: failures (0/1 runs) |"),
        "{goal}"
    );
    let half = row(&md, "vote `POST /` at 50% of vote's closed-loop rate");
    assert!(half.contains("| 40,000/s | 80,000/s |"), "{half}");
    assert!(half.ends_with("| 4 (request timeout 4) |"), "{half}");
    let most = row(&md, "vote `POST /` at 90% of vote's closed-loop rate");
    assert!(most.ends_with("| 0 |"), "{most}");
    let closed = row(&md, "vote: p99 latency, 50 connections");
    assert!(closed.ends_with("| 0 | yes (1/1 runs) |"), "{closed}");
}

#[test]
fn vote_is_judged_against_the_bare_ceiling_and_its_failures() {
    let md = render(&fixture::results(vec![fixture::run()]), "p.svg", "bench");
    let ceiling = row(
        &md,
        "vote ÷ bare HTTP ceiling, same load generator, 50 connections",
    );
    assert!(
        ceiling.ends_with("| 0.89× | 0 | yes (1/1 runs) |"),
        "{ceiling}"
    );
    let mut run = fixture::run();
    run.bare_lean.report.errors.insert("closed".into(), 2);
    run.bare_lean.failures = Failures::of_load(&run.bare_lean.report);
    let md = render(&fixture::results(vec![run]), "p.svg", "bench");
    let ceiling = row(
        &md,
        "vote ÷ bare HTTP ceiling, same load generator, 50 connections",
    );
    assert!(
        ceiling.ends_with("| 2 (request closed 2) | **no**: failures (0/1 runs) |"),
        "{ceiling}"
    );
    let rate = row(&md, "vote: POST rate, 50 connections");
    assert!(rate.ends_with("| 0 | yes (1/1 runs) |"), "{rate}");
}

#[test]
fn without_wrk_its_rows_say_so_and_fail_nothing() {
    let md = render(&fixture::results(vec![fixture::run()]), "p.svg", "bench");
    let vote = row(&md, "loadgen ÷ wrk, vote, same run");
    assert!(vote.ends_with("| 1.00× | 0 | yes (1/1 runs) |"), "{vote}");
    let mut run = fixture::run();
    run.wrk.vote = None;
    run.wrk.bare = None;
    let md = render(&fixture::results(vec![run]), "p.svg", "bench");
    let vote = row(&md, "loadgen ÷ wrk, vote, same run");
    assert!(
        vote.ends_with("| wrk not installed (`apt-get install wrk`) | 0 | not measured |"),
        "{vote}"
    );
    let table = row(&md, "vote `POST /`");
    assert!(table.contains("| wrk not installed"), "{table}");
}

#[test]
fn wrk_failures_fail_its_row() {
    let mut run = fixture::run();
    let wrk = run.wrk.vote.as_mut().expect("the fixture has wrk");
    wrk.failures.add("wrk timeout", 3);
    let md = render(&fixture::results(vec![run]), "p.svg", "bench");
    let vote = row(&md, "loadgen ÷ wrk, vote, same run");
    assert!(
        vote.ends_with("| 3 (wrk timeout 3) | **no**: failures (0/1 runs) |"),
        "{vote}"
    );
}

#[test]
fn every_batch_size_has_its_row_and_its_own_failures() {
    let mut run = fixture::run();
    let small = run.batches.iter_mut().find(|b| b.batch == 100);
    let small = small.expect("the fixture has batch 100");
    small.drain.failures.add("missing votes", 5);
    small.drain.rate = 45_000.0;
    let md = render(&fixture::results(vec![run]), "p.svg", "bench");
    let rows: Vec<&str> = ["100", "1000", "5000"]
        .into_iter()
        .map(|batch| row(&md, batch))
        .collect();
    assert!(
        rows[0].ends_with("| 100,000/s | 45,000/s | 0.45× | 5 (missing votes 5) |"),
        "{}",
        rows[0]
    );
    assert!(rows[1].ends_with("| 90,000/s | 0.90× | 0 |"), "{}", rows[1]);
    assert!(rows[2].ends_with("| 0.90× | 0 |"), "{}", rows[2]);
    let aim = row(
        &md,
        "worker ÷ raw batched upsert, batch 1000 (DESIGN §8 aim)",
    );
    assert!(aim.ends_with("| 0.90× | 0 | yes (1/1 runs) |"), "{aim}");
}

#[test]
fn the_high_rate_screen_rows_name_their_rate_and_fail_on_missing_votes() {
    let mut run = fixture::run();
    let screen = run.screen_high.report.screen.as_mut().expect("probed");
    screen.missing = 9;
    run.screen_high.failures = Failures::of_load(&run.screen_high.report);
    let md = render(&fixture::results(vec![run]), "p.svg", "bench");
    let goal = row(
        &md,
        "vote-to-screen p99 at a fifth of vote's rate (16,000/s), 50 connections (DESIGN §8 aim)",
    );
    assert!(
        goal.ends_with("| < 25 ms | 5.00 ms | 9 (missing votes 9) | **no**: failures (0/1 runs) |"),
        "{goal}"
    );
    let low = row(&md, "vote-to-screen p99 at 500 votes/s (DESIGN §8 aim)");
    assert!(low.ends_with("| 0 | yes (1/1 runs) |"), "{low}");
    let latency = row(
        &md,
        "vote-to-screen at a fifth of vote's rate (16,000/s), empty table",
    );
    assert!(latency.ends_with("| 9 (missing votes 9) |"), "{latency}");
}

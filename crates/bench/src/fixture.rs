//! A run with every goal met and no failure, built in memory, for the
//! tests of what the benchmark writes from it.

use std::collections::BTreeMap;
use std::time::Duration;

use loadgen::{Latency, Report, ScreenFrom, ScreenReport};

use crate::Sizes;
use crate::failures::Failures;
use crate::machine::Machine;
use crate::phases::batches::{BatchRun, OTHER_BATCHES};
use crate::phases::open_loop::{FRACTIONS, OpenRun};
use crate::phases::wrk::{WrkRun, WrkRuns};
use crate::phases::{drain::DrainRun, screen::ScreenRun, sse::SseRun, vote::VoteRun};
use crate::procs::Memory;
use crate::results::{Results, Run};

/// A load that was acknowledged in full at `throughput`, with `p99_ms`,
/// and, when `screen_p99_ms` is given, watched by a screen probe.
pub fn report(throughput: f64, p99_ms: f64, screen_p99_ms: Option<f64>) -> Report {
    let latency = Latency {
        samples: 1000,
        p99_ms,
        ..Latency::default()
    };
    let histogram = || hdrhistogram::Histogram::new(3).expect("three digits is valid");
    Report {
        url: "http://127.0.0.1:1/".into(),
        connections: 50,
        pace: "max".into(),
        voters: "unique".into(),
        elapsed_secs: 1.0,
        requests: throughput as u64,
        ok: throughput as u64,
        throughput,
        latency,
        service_time: latency,
        errors: BTreeMap::new(),
        error_messages: BTreeMap::new(),
        acknowledged: throughput as u64,
        screen: screen_p99_ms.map(|p99_ms| ScreenReport {
            from: ScreenFrom::Send,
            latency: Latency { p99_ms, ..latency },
            shown: throughput as u64,
            missing: 0,
            events: 10,
            histogram: histogram(),
        }),
        acknowledged_voters: Vec::new(),
        latency_histogram: histogram(),
    }
}

fn vote() -> VoteRun {
    VoteRun {
        report: report(80_000.0, 1.0, None),
        memory: Memory::default(),
        cpu: Vec::new(),
        failures: Failures::none(),
    }
}

fn screen() -> ScreenRun {
    ScreenRun {
        rate: 500.0,
        report: report(500.0, 1.0, Some(5.0)),
        memory: Vec::new(),
        failures: Failures::none(),
    }
}

fn wrk(throughput: f64) -> WrkRun {
    WrkRun {
        throughput,
        p50_ms: 0.5,
        p99_ms: 1.0,
        failures: Failures::none(),
        ok: throughput as u64,
    }
}

fn drain() -> DrainRun {
    DrainRun {
        rate: 90_000.0,
        memory: Memory::default(),
        cpu: Vec::new(),
        failures: Failures::none(),
    }
}

/// One clean run, well within every goal.
pub fn run() -> Run {
    Run {
        rpush: 70_000.0,
        rpush_cpu: Vec::new(),
        rpush_pipelined: 700_000.0,
        vote: vote(),
        bare_lean: VoteRun {
            report: report(90_000.0, 0.8, None),
            ..vote()
        },
        bare_axum: vote(),
        open: FRACTIONS
            .map(|fraction| OpenRun {
                fraction,
                rate: 80_000.0 * fraction,
                vote: vote(),
                bare: vote(),
            })
            .into(),
        wrk: WrkRuns {
            vote: Some(wrk(80_000.0)),
            bare: Some(wrk(90_000.0)),
        },
        vote_always: vote(),
        upsert: 100_000.0,
        upsert_cpu: vec![("postgres", 0.8), ("bench (client)", 0.2)],
        drain_batch: 1000,
        drain: drain(),
        batches: OTHER_BATCHES
            .map(|batch| BatchRun {
                batch,
                upsert: 100_000.0,
                drain: drain(),
            })
            .into(),
        screen: screen(),
        screen_full: screen(),
        screen_high: ScreenRun {
            rate: 16_000.0,
            ..screen()
        },
        sse: SseRun {
            clients: 100,
            open: 100,
            idle: Memory::default(),
            loaded: Memory {
                rss_mib: 20.0,
                pss_mib: 20.0,
            },
            fan_out_ms: Some(3.0),
            failures: Failures::none(),
        },
    }
}

/// A benchmark of `runs`, without images.
pub fn results(runs: Vec<Run>) -> Results {
    let text = |s: &str| s.to_owned();
    Results {
        machine: Machine {
            cpu: text("test CPU"),
            memory: text("1 GiB"),
            os: text("test OS"),
            redis: text("Redis"),
            postgres: text("PostgreSQL"),
            rustc: text("rustc"),
            commit: text("0123456789abcdef0123456789abcdef01234567"),
            dirty: false,
            date: text("2026-01-01 00:00 UTC"),
        },
        sizes: Sizes::smoke(),
        runs,
        images: Vec::new(),
        load: (text("0.00"), text("0.00")),
        elapsed: Duration::from_secs(1),
    }
}

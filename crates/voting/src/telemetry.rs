//! Logs and metrics, set up the same way in every service.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// Latency buckets in seconds, fine at the low end where our services live.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Buckets for how long a vote waited in the queue: a healthy queue holds
/// a vote for milliseconds, a backed-up one for minutes, and the queue alert
/// needs to tell those apart.
const LAG_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Metrics whose values span the lag range rather than a request's.
const LAG_METRICS: &[&str] = &["worker_vote_lag_seconds"];

/// Batch size buckets, from single votes up to the worker's largest batch.
const BATCH_BUCKETS: &[f64] = &[1.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 2000.0, 5000.0];

/// How often histogram samples are folded into their buckets, so that memory
/// stays flat between scrapes under heavy load.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Logs to stderr, filtered by `RUST_LOG` (default `info`). Calling it again
/// is harmless, so tests and binaries can both call it.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A failed write must not become a panic: with internal errors logged,
    // tracing reports one through `eprintln!`, which panics when stderr is a
    // closed pipe, and a panicking task (the signal watcher, say) is gone.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .try_init();
}

/// The process-wide Prometheus recorder, installed on first use. Several
/// services in one test process share it.
pub fn metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            // A full name wins over a suffix: the exporter tries `Full`
            // matchers first.
            let recorder = LAG_METRICS
                .iter()
                .try_fold(PrometheusBuilder::new(), |b, name| {
                    b.set_buckets_for_metric(Matcher::Full((*name).into()), LAG_BUCKETS)
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Suffix("_size".into()), BATCH_BUCKETS)
                })
                .expect("bucket lists are not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may exist in a test process; ours still renders.
            let _ = metrics::set_global_recorder(recorder);
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_INTERVAL);
                        upkeep.run_upkeep();
                    }
                })
                .expect("spawning a thread at start-up");
            describe_shared();
            handle
        })
        .clone()
}

/// Help text for the metrics every service's HTTP layer keeps, so that each
/// `/metrics` passes `promtool check metrics`.
fn describe_shared() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by method, route and status."
    );
    describe_histogram!(
        "http_request_duration_seconds",
        "How long answering an HTTP request took, by method and route."
    );
    describe_counter!(
        "http_accept_errors_total",
        "Connections the listener failed to accept (out of file descriptors, say)."
    );
    describe_gauge!(
        "http_connections_open",
        "Client connections open now, counted against MAX_CONNECTIONS."
    );
    describe_counter!(
        "http_connections_evicted_total",
        "Connections closed at the cap because they waited longest for a request."
    );
    describe_counter!(
        "http_connections_refused_total",
        "Connections answered 503 at the cap because every open one was busy."
    );
}

/// Counts the reconnects of one dependency: each time it answers again after
/// it failed. The connections reconnect by themselves (Redis' connection
/// manager, a fresh PostgreSQL connection), so the service sees a reconnect
/// as the first success after a failure.
#[derive(Debug)]
pub struct Reconnects {
    metric: &'static str,
    failing: AtomicBool,
}

impl Reconnects {
    /// Counts into the counter `metric` (which should end in `_reconnects_total`).
    pub const fn new(metric: &'static str) -> Reconnects {
        Reconnects {
            metric,
            failing: AtomicBool::new(false),
        }
    }

    /// The dependency just failed a call.
    pub fn failed(&self) {
        self.failing.store(true, Ordering::Relaxed);
    }

    /// The dependency just answered; counts a reconnect if it had failed.
    pub fn succeeded(&self) {
        // A load first keeps the common path free of writes to shared memory.
        if self.failing.load(Ordering::Relaxed) && self.failing.swap(false, Ordering::Relaxed) {
            metrics::counter!(self.metric).increment(1);
        }
    }

    /// Registers the counter at zero, so that `rate()` works before the
    /// first reconnect.
    pub fn register(&self) {
        metrics::counter!(self.metric).increment(0);
    }
}

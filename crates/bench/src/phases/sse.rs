//! Many idle `/events` clients on one result process: its memory, and how
//! long one change takes to reach them all.

use std::time::Duration;

use loadgen::IdleClients;
use tokio::time::Instant;

use crate::Error;
use crate::failures::Failures;
use crate::procs::{Memory, memory};
use crate::stack::Stack;

/// How long one change may take to reach every client.
const FAN_OUT_PATIENCE: Duration = Duration::from_secs(30);

/// What one idle-clients phase measured.
pub struct SseRun {
    /// Clients asked for.
    pub clients: usize,
    /// Clients whose stream was open after connecting.
    pub open: usize,
    /// result's memory before any client.
    pub idle: Memory,
    /// result's memory with every client connected.
    pub loaded: Memory,
    /// From a change's notification until every open client had it, ms.
    pub fan_out_ms: Option<f64>,
    /// Clients that failed or were not open, and a change that did not
    /// reach every client in time.
    pub failures: Failures,
}

/// Opens `clients` idle streams on a fresh result service.
pub async fn run(stack: &mut Stack, clients: usize) -> Result<SseRun, Error> {
    stack.reset().await?;
    let result = stack.result().await?;
    let idle = memory(result.pid()).unwrap_or_default();
    let streams = IdleClients::open(&format!("{}events", result.url()), clients).await?;
    let open = streams.open_now();
    let loaded = memory(result.pid()).unwrap_or_default();
    let before = streams.events();
    let changed = Instant::now();
    stack
        .db
        .batch_execute(
            "INSERT INTO votes (id, vote) VALUES ('fan-out', 'a'); \
             SELECT pg_notify('votes_changed', '1')",
        )
        .await?;
    let mut fan_out_ms = None;
    while changed.elapsed() < FAN_OUT_PATIENCE {
        if streams.events() >= before + open as u64 {
            fan_out_ms = Some(changed.elapsed().as_secs_f64() * 1000.0);
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let report = streams.close().await;
    result.stop().await;
    let mut failures = Failures::none();
    for (kind, count) in &report.failures {
        failures.add(&format!("SSE client {kind}"), *count);
    }
    let unexplained = (clients - open.min(clients)) as u64;
    failures.add(
        "SSE client not open",
        unexplained.saturating_sub(failures.total()),
    );
    if fan_out_ms.is_none() {
        failures.add("change not fanned out in time", 1);
    }
    Ok(SseRun {
        clients,
        open,
        idle,
        loaded,
        fan_out_ms,
        failures,
    })
}

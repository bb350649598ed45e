//! A second, outside load generator: Debian's `wrk`, against vote and the
//! bare lean server in the same run as loadgen, so that a bias of loadgen
//! shows as a ratio away from 1.
//!
//! wrk votes as loadgen does (`wrk/vote.lua`): one thread (the benchmark's
//! runtime has one), 50 keep-alive connections, a new voter per vote,
//! options in turn, JSON answers. wrk has no warm-up and counts whole
//! seconds, so it runs for the vote phase's warm-up and length together,
//! rounded up. Without `wrk` on the machine its rows say so and fail
//! nothing.

use std::time::Duration;

use tokio::process::Command;
use voting::queue::QUEUE_KEY;

use crate::Error;
use crate::bare::Kind;
use crate::failures::Failures;
use crate::limits::{CLIENTS, rand_prefix};
use crate::stack::Stack;

/// The vote POST as a wrk script.
const SCRIPT: &str = include_str!("wrk/vote.lua");

/// The line the script writes at the end, before its `key=value` fields.
const SUMMARY: &str = "bench-wrk ";

/// What wrk measured against one target.
#[derive(Debug, Clone, PartialEq)]
pub struct WrkRun {
    /// Answers with a 2xx or 3xx status per second.
    pub throughput: f64,
    /// Median latency, ms (wrk's own, from send to answer).
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Failed requests by wrk's kinds, and (for vote) acknowledged votes
    /// missing from the queue.
    pub failures: Failures,
    /// Answers with a 2xx or 3xx status.
    pub ok: u64,
}

/// wrk against vote and against the bare lean server; `None` where wrk is
/// not installed.
#[derive(Debug, Clone, PartialEq)]
pub struct WrkRuns {
    /// Against vote, Redis at `appendfsync everysec`, no worker.
    pub vote: Option<WrkRun>,
    /// Against the bare lean server.
    pub bare: Option<WrkRun>,
}

/// Runs wrk against a fresh vote, then against a fresh bare lean server,
/// each for `duration` rounded up to whole seconds.
pub async fn run(stack: &mut Stack, duration: Duration) -> Result<WrkRuns, Error> {
    let script = stack.file("wrk-vote.lua");
    std::fs::write(&script, SCRIPT).map_err(|source| Error::Io {
        what: format!("writing {}", script.display()),
        source,
    })?;
    let seconds = duration.as_secs_f64().ceil().max(1.0) as u64;
    let script = script.to_string_lossy().into_owned();
    stack.reset().await?;
    let vote = stack.vote().await?;
    let mut on_vote = wrk(&vote.url(), seconds, &script).await?;
    vote.stop().await;
    if let Some(run) = on_vote.as_mut() {
        let mut conn = stack.redis().await;
        let queued: u64 = redis::cmd("LLEN")
            .arg(QUEUE_KEY)
            .query_async(&mut conn)
            .await?;
        // Answers wrk did not wait for at its deadline may be queued too;
        // only acknowledged votes beyond the queue are missing.
        run.failures
            .add("missing votes", run.ok.saturating_sub(queued));
    }
    let bare = stack.bare(Kind::Lean).await?;
    let on_bare = wrk(&bare.url(), seconds, &script).await?;
    bare.stop().await;
    Ok(WrkRuns {
        vote: on_vote,
        bare: on_bare,
    })
}

/// `wrk -t1 -c 50 -d <seconds>s -s <script> <url> -- <prefix>`; `None`
/// when wrk is not installed.
async fn wrk(url: &str, seconds: u64, script: &str) -> Result<Option<WrkRun>, Error> {
    let prefix = format!("{:08x}", rand_prefix());
    let output = Command::new("wrk")
        .args(["-t1", "-c", &CLIENTS.to_string()])
        .args(["-d", &format!("{seconds}s"), "--timeout", "10s"])
        .args(["-s", script, url, "--", &prefix])
        .kill_on_drop(true)
        .output()
        .await;
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::Tool {
                tool: "wrk",
                reason: e.to_string(),
            });
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    parse(&stdout).map(Some).ok_or_else(|| Error::Tool {
        tool: "wrk",
        reason: format!(
            "{}: no summary line in its output: {} {}",
            output.status,
            stdout.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    })
}

/// Reads the script's summary line.
fn parse(stdout: &str) -> Option<WrkRun> {
    let line = stdout.lines().find_map(|l| l.strip_prefix(SUMMARY))?;
    let field = |name: &str| -> Option<u64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))?
            .parse()
            .ok()
    };
    let requests = field("requests")?;
    let seconds = field("duration_us")? as f64 / 1e6;
    let status = field("status")?;
    let mut failures = Failures::none();
    for kind in ["connect", "read", "write", "timeout"] {
        failures.add(&format!("wrk {kind}"), field(kind)?);
    }
    failures.add("wrk non-2xx/3xx", status);
    let ok = requests.saturating_sub(status);
    Some(WrkRun {
        throughput: if seconds > 0.0 {
            ok as f64 / seconds
        } else {
            0.0
        },
        p50_ms: field("p50_us")? as f64 / 1000.0,
        p99_ms: field("p99_us")? as f64 / 1000.0,
        failures,
        ok,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_is_read_and_failures_counted() {
        let out = "Running 1s test\nbench-wrk requests=1000 duration_us=500000 connect=0 \
                   read=2 write=0 status=10 timeout=1 p50_us=450 p99_us=1200\n";
        let run = parse(out).expect("a summary");
        assert_eq!(run.throughput, 1980.0);
        assert_eq!((run.p50_ms, run.p99_ms), (0.45, 1.2));
        assert_eq!(
            run.failures.show(),
            "13 (wrk non-2xx/3xx 10, wrk read 2, wrk timeout 1)"
        );
        assert_eq!(parse("Running 1s test\n"), None);
        assert_eq!(parse("bench-wrk requests=x\n"), None);
    }
}

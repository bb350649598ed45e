//! The machine's limits, measured with the same servers the app uses:
//! `redis-benchmark` RPUSH (un-pipelined and pipelined), and a raw batched
//! upsert into the `votes` table.

use std::time::Instant;

use tokio::process::Command;

use crate::Error;
use crate::procs::{CpuMeter, children_cpu_seconds};

/// Concurrency of every throughput figure: DESIGN.md measures at 50.
pub const CLIENTS: usize = 50;

/// Commands per pipeline in the pipelined RPUSH: deep enough that Redis,
/// not the round trips, sets the pace.
pub const PIPELINE: usize = 64;

/// What one `redis-benchmark` run measured.
pub struct Rpush {
    /// RPUSH operations per second.
    pub rate: f64,
    /// Cores used by redis-server and by redis-benchmark meanwhile.
    pub cpu: Vec<(&'static str, f64)>,
}

/// `redis-benchmark -t rpush -c 50 -n <requests> [-P <pipeline>]` against
/// the Redis on `port`, whose process is `redis_pid`.
pub async fn rpush(
    port: u16,
    redis_pid: u32,
    requests: u64,
    pipeline: Option<usize>,
) -> Result<Rpush, Error> {
    let mut command = Command::new("redis-benchmark");
    command
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-t", "rpush"])
        .args([
            "-c",
            &CLIENTS.to_string(),
            "-n",
            &requests.to_string(),
            "--csv",
        ]);
    if let Some(depth) = pipeline {
        command.args(["-P", &depth.to_string()]);
    }
    let meter = CpuMeter::start(vec![("redis", vec![redis_pid])]);
    let children_before = children_cpu_seconds();
    let started = Instant::now();
    let output = command
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| Error::Tool {
            tool: "redis-benchmark",
            reason: format!("{e} (apt-get install redis-tools)"),
        })?;
    // redis-benchmark is the only child that ends meanwhile.
    let benchmark_cores =
        (children_cpu_seconds() - children_before) / started.elapsed().as_secs_f64();
    let mut cpu = meter.cores();
    cpu.push(("redis-benchmark", benchmark_cores));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rate = parse_csv_rate(&stdout).ok_or_else(|| Error::Tool {
        tool: "redis-benchmark",
        reason: format!(
            "unexpected output: {} {}",
            stdout.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    })?;
    // The benchmark's list would otherwise grow with every run.
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/"))?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let _: i64 = redis::cmd("DEL")
        .arg("mylist")
        .query_async(&mut conn)
        .await?;
    Ok(Rpush { rate, cpu })
}

/// The rate from `redis-benchmark --csv`: the second field of the RPUSH row.
fn parse_csv_rate(csv: &str) -> Option<f64> {
    let row = csv.lines().find(|line| line.starts_with("\"RPUSH"))?;
    row.split(',').nth(1)?.trim_matches('"').parse().ok()
}

/// The raw batched upsert of DESIGN.md §8: `rows` new voters, `batch` rows
/// per statement, each statement its own transaction, on one connection,
/// into a twin of `votes` without result's tally triggers. Returns rows per
/// second and the cores PostgreSQL (`postgres`, the server and its
/// backends) and the benchmark's own client used meanwhile. The table is
/// emptied first.
pub async fn raw_upsert(
    client: &tokio_postgres::Client,
    postgres: Vec<u32>,
    rows: usize,
    batch: usize,
) -> Result<UpsertRun, Error> {
    client.batch_execute("TRUNCATE votes_bare").await?;
    let statement = client
        .prepare(
            "INSERT INTO votes_bare (id, vote) SELECT * FROM unnest($1::text[], $2::text[]) \
             ON CONFLICT (id) DO UPDATE SET vote = EXCLUDED.vote",
        )
        .await?;
    let prefix: u32 = rand_prefix();
    let ids: Vec<String> = (0..rows).map(|i| format!("{prefix:08x}{i:x}")).collect();
    let votes: Vec<&str> = (0..rows).map(|i| ["a", "b"][i % 2]).collect();
    let batches: Vec<(Vec<&str>, &[&str])> = ids
        .chunks(batch)
        .zip(votes.chunks(batch))
        .map(|(ids, votes)| (ids.iter().map(String::as_str).collect(), votes))
        .collect();
    let cpu = CpuMeter::start(vec![
        ("postgres", postgres),
        ("bench (client)", vec![std::process::id()]),
    ]);
    let started = Instant::now();
    for (ids, votes) in &batches {
        client.execute(&statement, &[ids, votes]).await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu.cores();
    client.batch_execute("TRUNCATE votes_bare").await?;
    Ok(UpsertRun {
        rate: rows as f64 / elapsed,
        cpu,
    })
}

/// What one raw batched upsert measured.
#[derive(Debug, Clone, PartialEq)]
pub struct UpsertRun {
    /// Rows per second.
    pub rate: f64,
    /// Cores each process group used during it.
    pub cpu: Vec<(&'static str, f64)>,
}

/// A prefix that keeps the voter ids of separate runs apart.
pub fn rand_prefix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() ^ (d.as_secs() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_read_from_the_csv_row() {
        let csv = "\"test\",\"rps\",\"avg_latency_ms\"\n\"RPUSH\",\"71959.70\",\"0.377\"\n";
        assert_eq!(parse_csv_rate(csv), Some(71959.70));
        assert_eq!(parse_csv_rate("nonsense"), None);
    }
}

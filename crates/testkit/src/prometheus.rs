//! Debian's Prometheus for tests: `promtool`'s checks, a private
//! `prometheus` server and a private node-exporter.
//!
//! Neither server can bind port 0 and report the port back, so each is
//! started on a port that was free a moment ago and then asked a question
//! only this very process can answer (its own data directory, its own
//! metrics path). A port someone else took meanwhile is never mistaken for
//! ours: the server fails to bind and exits, and the next port is tried.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tempfile::TempDir;
use tokio::process::Command;

use crate::port::{Answer, free_port, free_ports, start_verified};
use crate::process::Server;

/// How long a fresh server may take to answer as itself.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `promtool check metrics` on an exposition (what `/metrics`
/// served) and panics with promtool's findings if it has any.
pub async fn check_metrics(exposition: &str) {
    use tokio::io::AsyncWriteExt;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("running promtool (apt-get install prometheus)");
    let mut stdin = child.stdin.take().expect("a piped stdin");
    stdin
        .write_all(exposition.as_bytes())
        .await
        .expect("writing to promtool");
    drop(stdin);
    let output = child
        .wait_with_output()
        .await
        .expect("waiting for promtool");
    assert!(
        output.status.success(),
        "promtool check metrics failed ({}):\n{}{}\n--- the exposition ---\n{exposition}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

/// Panics unless the exposition has a sample of every `expected` series,
/// each written as `name` or `name{label="value",…}` (the labels given must
/// be on the sample; it may have more), optionally followed by a space and
/// the value the sample must have.
pub fn assert_series(exposition: &str, expected: &[&str]) {
    let missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|want| !exposition.lines().any(|line| sample_matches(line, want)))
        .collect();
    assert!(
        missing.is_empty(),
        "missing series: {missing:?}\n--- the exposition ---\n{exposition}"
    );
}

fn sample_matches(line: &str, want: &str) -> bool {
    let (want, value) = match want.split_once(' ') {
        Some((series, value)) => (series, Some(value)),
        None => (want, None),
    };
    if value.is_some_and(|value| line.rsplit(' ').next() != Some(value)) {
        return false;
    }
    let (name, labels) = want.split_once('{').map_or((want, ""), |(name, labels)| {
        (name, labels.trim_end_matches('}'))
    });
    let Some(rest) = line.strip_prefix(name) else {
        return false;
    };
    if !rest.starts_with([' ', '{']) {
        return false;
    }
    let have = rest.split_once('}').map_or("", |(labels, _)| labels);
    labels
        .split(',')
        .filter(|pair| !pair.is_empty())
        .all(|pair| have.trim_start_matches('{').split(',').any(|p| p == pair))
}

/// Runs `promtool` with `args` in `dir` and returns its output, or panics
/// with everything it said if it failed.
pub async fn promtool(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .kill_on_drop(true)
        .output()
        .await
        .expect("running promtool (apt-get install prometheus)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "promtool {} failed ({}):\n{said}",
        args.join(" "),
        output.status
    );
    said
}

/// A real Prometheus on a free loopback port, with its data in a
/// temporary directory.
pub struct Prometheus {
    // Declared first so that it is killed before its directory is removed.
    _server: Server,
    _dir: TempDir,
    port: u16,
}

impl Prometheus {
    /// Starts Prometheus with the configuration `config` (YAML; paths in
    /// it should be absolute). `backfill`, in OpenMetrics text with
    /// timestamps, is first turned into blocks of its data directory with
    /// `promtool tsdb create-blocks-from openmetrics`, so queries see those
    /// samples beside what it scrapes.
    pub async fn start(config: &str, backfill: Option<&str>) -> Prometheus {
        let dir = tempfile::Builder::new()
            .prefix("testkit-prometheus-")
            .tempdir()
            .expect("creating a temporary directory");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("creating the data directory");
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).expect("writing the configuration");
        if let Some(samples) = backfill {
            std::fs::write(dir.path().join("backfill.om"), samples)
                .expect("writing the samples to backfill");
            promtool(
                dir.path(),
                &[
                    "tsdb",
                    "create-blocks-from",
                    "openmetrics",
                    "backfill.om",
                    "data",
                ],
            )
            .await;
        }
        let data_flag = data.display().to_string();
        let (server, port) = start_ours(
            "prometheus",
            |port| {
                let mut command = Command::new("prometheus");
                command
                    .arg(format!("--config.file={}", config_path.display()))
                    .arg(format!("--storage.tsdb.path={data_flag}"))
                    .arg(format!("--web.listen-address=127.0.0.1:{port}"));
                command
            },
            |port| {
                let data = data_flag.clone();
                async move {
                    flag(port, "storage.tsdb.path")
                        .await
                        .is_some_and(|v| v == data)
                }
            },
        )
        .await;
        Prometheus {
            _server: server,
            _dir: dir,
            port,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs an instant query: the result vector, or Prometheus' error
    /// (a parse error, say) as it put it.
    pub async fn query(&self, expr: &str) -> Result<Vec<serde_json::Value>, String> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/query", self.url()),
            [("query", expr)],
        )
        .map_err(|e| e.to_string())?;
        let body: serde_json::Value = reqwest::get(url)
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        if body["status"] != "success" {
            return Err(format!("{}: {}", body["errorType"], body["error"]));
        }
        match &body["data"]["result"] {
            serde_json::Value::Array(series) => Ok(series.clone()),
            // A scalar or a string: one value.
            other => Ok(vec![other.clone()]),
        }
    }

    /// A GET of an API path such as `/api/v1/targets`, as JSON.
    pub async fn api(&self, path: &str) -> serde_json::Value {
        reqwest::get(format!("{}{path}", self.url()))
            .await
            .and_then(|r| r.error_for_status())
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }
}

/// A real node-exporter (Debian's `prometheus-node-exporter`) on a free
/// loopback port, with a metrics path of its own.
pub struct NodeExporter {
    _server: Server,
    port: u16,
    path: String,
}

impl NodeExporter {
    /// Starts it and waits until it serves its metrics.
    pub async fn start() -> NodeExporter {
        // A path no other node-exporter serves proves the port is ours.
        let path = format!("/metrics-{}-{}", std::process::id(), free_port());
        let (server, port) = start_ours(
            "prometheus-node-exporter",
            |port| {
                let mut command = Command::new("prometheus-node-exporter");
                command
                    .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                    .arg(format!("--web.telemetry-path={path}"));
                command
            },
            |port| {
                let url = format!("http://127.0.0.1:{port}{path}");
                async move { matches!(reqwest::get(url).await, Ok(r) if r.status().is_success()) }
            },
        )
        .await;
        NodeExporter {
            _server: server,
            port,
            path,
        }
    }

    /// `127.0.0.1:<port>`, a scrape target.
    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The path it serves its metrics on.
    pub fn metrics_path(&self) -> &str {
        &self.path
    }
}

/// Starts `command(port)` on free ports until `is_ours(port)` answers true
/// (the server is up and is this one), trying another port when the server
/// exits (it lost the port to someone else).
async fn start_ours<C, P, F>(name: &'static str, command: C, is_ours: P) -> (Server, u16)
where
    C: Fn(u16) -> Command,
    P: Fn(u16) -> F,
    F: Future<Output = bool>,
{
    let spawn = |port| Server::spawn_as_self(name, command(port));
    let probe = |port, _pid| {
        let answer = is_ours(port);
        async move {
            match answer.await {
                true => Answer::Ours,
                false => Answer::Nothing,
            }
        }
    };
    start_verified(name, free_ports(), READY_TIMEOUT, spawn, probe).await
}

/// The value of one of Prometheus' command-line flags, if it answers.
async fn flag(port: u16, name: &str) -> Option<String> {
    let body: serde_json::Value =
        reqwest::get(format!("http://127.0.0.1:{port}/api/v1/status/flags"))
            .await
            .ok()?
            .json()
            .await
            .ok()?;
    body["data"][name].as_str().map(str::to_owned)
}

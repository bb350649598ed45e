//! The local environment the loop runs in: this repository's compose file
//! under the project name `muelle-bench-flow` (its own containers, network,
//! volumes and app images) with vote and result on free ports, driven by
//! the muelle binary, and removed with its volumes and images at the end.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::Error;
use crate::command::{host_docker, output, tool};

/// The project name, which names every Docker object of the loop.
const PROJECT: &str = "muelle-bench-flow";

/// The app's images under names of the loop's own, so that a developer's
/// `voting/*:local` images are left as they are; removed at the end.
const IMAGES: [(&str, &str); 3] = [
    ("VOTE_IMAGE", "muelle-bench-flow/vote:local"),
    ("WORKER_IMAGE", "muelle-bench-flow/worker:local"),
    ("RESULT_IMAGE", "muelle-bench-flow/result:local"),
];

/// What `muelle up --watch` prints once it watches.
const WATCHING: &str = "watching ";

/// How long `muelle up --watch` may take to start watching (a cold
/// machine compiles every dependency in the watch profile first).
const WATCH_START: Duration = Duration::from_secs(900);

/// How long a watcher gets to stop after Ctrl-C.
const STOP: Duration = Duration::from_secs(30);

/// The environment of one flow benchmark.
pub struct Env {
    muelle: PathBuf,
    /// The repository, whose muelle.toml and sources are used.
    pub repo: PathBuf,
    vote_port: u16,
    result_port: u16,
    http: reqwest::Client,
}

/// A running `muelle up --watch`.
pub struct Watching {
    child: Child,
    /// Reloads it has reported so far.
    reloads: Arc<AtomicUsize>,
}

/// What `muelle up --watch` prints when a reload is done (healthy again).
const RELOADED: &str = " reloaded in ";

impl Env {
    /// The environment, on two free ports.
    pub fn new(muelle: &Path) -> Result<Env, Error> {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| tool("reqwest", e.to_string()))?;
        Ok(Env {
            muelle: muelle.to_owned(),
            repo: repo.canonicalize().unwrap_or(repo),
            vote_port: testkit::free_port(),
            result_port: testkit::free_port(),
            http,
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.muelle);
        command
            .arg("--project-name")
            .arg(PROJECT)
            .args(args)
            .current_dir(&self.repo)
            .env("VOTE_PORT", self.vote_port.to_string())
            .env("RESULT_PORT", self.result_port.to_string())
            .envs(IMAGES)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        command
    }

    /// Runs `muelle ARGS` to the end; its stdout.
    pub async fn muelle(&self, args: &[&str]) -> Result<String, Error> {
        output(self.command(args), None, "muelle").await
    }

    /// Starts `muelle up --watch SERVICE` and waits until it watches.
    pub async fn watch(&self, service: &str) -> Result<Watching, Error> {
        let mut child = self
            .command(&["up", "--watch", service])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| tool("muelle", format!("cannot start: {e}")))?;
        let stderr = child.stderr.take().expect("piped");
        let mut lines = BufReader::new(stderr).lines();
        let mut said = Vec::new();
        let watching = tokio::time::timeout(WATCH_START, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.starts_with(WATCHING) {
                    return true;
                }
                said.push(line);
            }
            false
        })
        .await;
        if watching != Ok(true) {
            let last = said.last().cloned().unwrap_or_default();
            return Err(tool(
                "muelle",
                format!("up --watch did not start watching: {last}"),
            ));
        }
        // Keep reading, so that muelle never blocks on a full pipe, and
        // count the reloads.
        let reloads = Arc::new(AtomicUsize::new(0));
        let counted = reloads.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains(RELOADED) {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Ok(Watching { child, reloads })
    }

    /// Waits until vote's page contains `text`.
    pub async fn served(&self, text: &str, deadline: Duration) -> Result<(), Error> {
        let url = format!("http://127.0.0.1:{}/", self.vote_port);
        let until = Instant::now() + deadline;
        while Instant::now() < until {
            if let Ok(response) = self.http.get(&url).send().await {
                if response.text().await.is_ok_and(|page| page.contains(text)) {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(Error::Stalled("vote never served the saved page"))
    }

    /// Removes the environment's containers, network, volumes and images.
    pub async fn remove(&self) -> Result<(), Error> {
        self.muelle(&["down"]).await?;
        let label = format!("label=com.docker.compose.project={PROJECT}");
        let volumes = host_docker(&["volume", "ls", "-q", "--filter", &label], None).await?;
        for volume in volumes.split_whitespace() {
            host_docker(&["volume", "rm", volume], None).await?;
        }
        for (_, image) in IMAGES {
            if host_docker(&["image", "inspect", image], None)
                .await
                .is_ok()
            {
                host_docker(&["rmi", image], None).await?;
            }
        }
        Ok(())
    }
}

impl Watching {
    /// Reloads reported so far.
    pub fn reloads(&self) -> usize {
        self.reloads.load(Ordering::SeqCst)
    }

    /// Waits until more than `seen` reloads were reported: the watcher is
    /// idle again, as it is when a developer saves the next time.
    pub async fn wait_reloaded(&self, seen: usize, deadline: Duration) -> Result<(), Error> {
        let until = Instant::now() + deadline;
        while self.reloads() <= seen {
            if Instant::now() >= until {
                return Err(Error::Stalled("muelle up --watch never finished a reload"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Stops watching as a developer does (Ctrl-C).
    pub async fn stop(mut self) -> Result<(), Error> {
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
        }
        match tokio::time::timeout(STOP, self.child.wait()).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(tool("muelle", "up --watch did not stop on Ctrl-C".into())),
        }
    }
}

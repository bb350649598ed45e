//! The benchmark's lab: `muelle lab up` under the name `muelle-bench` (made
//! for the run and removed after it, or used as it is when it was already
//! up), muelle's commands for it, and the docker CLI against its manager.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;
use tokio::process::Command;

use crate::Error;
use crate::command::{output, tool};

/// The lab's name.
pub const NAME: &str = "muelle-bench";

/// A lab the benchmark runs on.
pub struct Lab {
    muelle: PathBuf,
    repo: PathBuf,
    /// Whether this run started it (and so removes it).
    made: bool,
    /// `muelle lab status --json`.
    info: Value,
}

impl Lab {
    /// Finds the lab, or starts it with `muelle lab up`.
    pub async fn up(muelle: &Path, repo: &Path) -> Result<Lab, Error> {
        let mut lab = Lab {
            muelle: muelle.to_owned(),
            repo: repo.to_owned(),
            made: false,
            info: Value::Null,
        };
        if lab.run(&["lab", "status", "--json"], &[]).await.is_err() {
            eprintln!("starting lab {NAME} (muelle lab up)");
            let status = lab
                .command(&["lab", "up"], &[])
                .status()
                .await
                .map_err(|e| tool("muelle", format!("cannot start: {e}")))?;
            if !status.success() {
                return Err(tool("muelle", format!("lab up exited with {status}")));
            }
            lab.made = true;
        }
        let status = lab.run(&["lab", "status", "--json"], &[]).await?;
        lab.info = serde_json::from_str(&status).map_err(|e| tool("muelle", e.to_string()))?;
        Ok(lab)
    }

    /// Runs `muelle ARGS` for the lab with `env` added; returns stdout, or
    /// the error muelle printed.
    pub async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Result<String, Error> {
        output(self.command(args, env), None, "muelle").await
    }

    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(&self.muelle);
        command
            .args(args)
            .current_dir(&self.repo)
            .env("MUELLE_LAB", NAME)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        command
    }

    /// A string field of `lab status --json`, e.g. `registry` or `/ingress/https`.
    pub fn field(&self, pointer: &str) -> Result<String, Error> {
        self.info
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| tool("muelle", format!("lab status has no {pointer}")))
    }

    /// How many nodes the lab has.
    pub fn nodes(&self) -> usize {
        self.info["nodes"].as_array().map_or(0, Vec::len)
    }

    /// The docker CLI against the lab's manager; returns stdout.
    pub async fn docker(&self, args: &[&str]) -> Result<String, Error> {
        let mut command = Command::new("docker");
        command
            .args(args)
            .env("DOCKER_HOST", self.field("/endpoint")?)
            .stdin(Stdio::null());
        output(command, None, "docker").await
    }

    /// The manifest digest the lab registry gives `<repository>:<tag>`.
    pub async fn digest(&self, repository: &str, tag: &str) -> Result<String, Error> {
        testkit::manifest_digest(&self.field("/registry")?, repository, tag)
            .await
            .map_err(|reason| tool("registry", reason))
    }

    /// Removes the lab if this run started it.
    pub async fn down(self) -> Result<(), Error> {
        if self.made {
            self.run(&["lab", "down"], &[]).await?;
        }
        Ok(())
    }
}

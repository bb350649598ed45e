//! A real lab (`muelle lab up`) for a test binary: a multi-node Swarm of
//! docker-in-docker nodes, a registry and pebble, under a unique name
//! (`muelle-test-<pid>-<name>`) with its state in a temporary directory.
//! Dropping it runs `muelle lab down`, then removes by label whatever is
//! left, so a panicking scenario leaves nothing behind; labs of test
//! processes that died without unwinding are swept when the next starts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::bins_dir;

/// The label every object of a lab carries, valued with its name.
const LAB_LABEL: &str = "muelle.lab";
/// Every test lab's name starts so, followed by the test process's id.
const TEST_PREFIX: &str = "muelle-test-";

/// A running lab, removed on drop.
pub struct Lab {
    /// The lab's name.
    pub name: String,
    /// `muelle lab status --json` after `lab up`.
    pub info: Value,
    /// How long `lab up` took.
    pub up_took: std::time::Duration,
    state: tempfile::TempDir,
    muelle: PathBuf,
    repo: PathBuf,
}

impl Lab {
    /// Starts lab `muelle-test-<pid>-<name>` with `muelle lab up` run in
    /// `repo` (the project whose recipes build the images); panics with
    /// muelle's output when it fails, after removing what it made.
    pub fn start(name: &str, repo: &Path) -> Lab {
        sweep_stale();
        let muelle = bins_dir().join("muelle");
        assert!(
            muelle.exists(),
            "{} is missing: build muelle first",
            muelle.display()
        );
        let mut lab = Lab {
            name: format!("{TEST_PREFIX}{}-{name}", std::process::id()),
            info: Value::Null,
            up_took: std::time::Duration::ZERO,
            state: tempfile::Builder::new()
                .prefix("muelle-lab-state-")
                .tempdir()
                .expect("a temporary state directory"),
            muelle,
            repo: repo.to_owned(),
        };
        let started = std::time::Instant::now();
        let up = lab
            .muelle(&["lab", "up"])
            .output()
            .expect("run muelle lab up");
        lab.up_took = started.elapsed();
        let (stdout, stderr) = texts(&up);
        assert!(
            up.status.success(),
            "muelle lab up failed ({}):\n{stderr}\n{stdout}",
            up.status
        );
        lab.info = lab.status();
        lab
    }

    /// `muelle ARGS` for this lab: its name and state directory in the
    /// environment, run in the project, stdin closed.
    pub fn muelle(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.muelle);
        command
            .args(args)
            .current_dir(&self.repo)
            .env("MUELLE_LAB", &self.name)
            .env("MUELLE_LAB_STATE", self.state.path())
            .env_remove("RUST_LOG")
            .env_remove("DOCKER_HOST")
            .stdin(Stdio::null());
        command
    }

    /// `muelle lab status --json`, parsed.
    pub fn status(&self) -> Value {
        let output = self
            .muelle(&["lab", "status", "--json"])
            .output()
            .expect("run muelle lab status");
        let (stdout, stderr) = texts(&output);
        assert!(
            output.status.success(),
            "muelle lab status failed:\n{stderr}"
        );
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("lab status is not JSON ({e}): {stdout}"))
    }

    /// A string field of the lab's status, e.g. `endpoint` or `/ingress/https`.
    pub fn field(&self, pointer: &str) -> String {
        let pointer = if pointer.starts_with('/') {
            pointer.to_owned()
        } else {
            format!("/{pointer}")
        };
        self.info
            .pointer(&pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("lab status has no {pointer}: {}", self.info))
            .to_owned()
    }

    /// The manager's engine, `tcp://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        self.field("endpoint")
    }

    /// The registry, `127.0.0.1:<port>`.
    pub fn registry(&self) -> String {
        self.field("registry")
    }

    /// The lab's state directory (pebble's certificates, the password).
    pub fn state_dir(&self) -> PathBuf {
        PathBuf::from(self.field("state_dir"))
    }

    /// The docker CLI against the lab's manager.
    pub fn docker(&self, args: &[&str]) -> Command {
        let mut command = Command::new("docker");
        command
            .args(args)
            .env("DOCKER_HOST", self.endpoint())
            .stdin(Stdio::null());
        command
    }

    /// Runs the docker CLI against the manager; panics unless it succeeds; returns stdout.
    pub fn docker_ok(&self, args: &[&str]) -> String {
        let output = self.docker(args).output().expect("run docker");
        let (stdout, stderr) = texts(&output);
        assert!(
            output.status.success(),
            "docker {} failed: {stderr}",
            args.join(" ")
        );
        stdout
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let down = self.muelle(&["lab", "down"]).output();
        match down {
            Ok(output) if output.status.success() => {}
            Ok(output) => eprintln!("muelle lab down failed: {}", texts(&output).1),
            Err(e) => eprintln!("cannot run muelle lab down: {e}"),
        }
        remove_by_label(&self.name);
    }
}

/// Removes whatever of lab `name` is left on the host engine, by label.
pub fn remove_by_label(name: &str) {
    let filter = format!("label={LAB_LABEL}={name}");
    for (list, remove) in [
        (&["ps", "-aq"][..], &["rm", "-f", "-v"][..]),
        (&["network", "ls", "-q"][..], &["network", "rm"][..]),
        (&["volume", "ls", "-q"][..], &["volume", "rm", "-f"][..]),
    ] {
        let Ok(found) = Command::new("docker")
            .args(list)
            .args(["--filter", &filter])
            .output()
        else {
            return;
        };
        let ids: Vec<String> = texts(&found)
            .0
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if !ids.is_empty() {
            let _ = Command::new("docker")
                .args(remove)
                .args(&ids)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Removes the labs of test processes that are gone (killed on a timeout,
/// so their `Drop` never ran).
pub fn sweep_stale() {
    let Ok(found) = Command::new("docker")
        .args(["ps", "-a", "--filter", &format!("label={LAB_LABEL}")])
        .args(["--format", &format!("{{{{.Label \"{LAB_LABEL}\"}}}}")])
        .output()
    else {
        return;
    };
    let mut labs: Vec<String> = texts(&found).0.lines().map(str::to_owned).collect();
    labs.sort();
    labs.dedup();
    for lab in labs {
        let pid = lab
            .strip_prefix(TEST_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                eprintln!("removing lab {lab}, left by test process {pid}");
                remove_by_label(&lab);
            }
        }
    }
}

/// A finished command's stdout and stderr as text.
pub fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

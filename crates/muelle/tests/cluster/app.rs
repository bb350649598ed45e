//! The voting app on the lab, reached as its users reach it: muelle's
//! commands for the lab, vote images pushed to the lab registry beside the
//! one `muelle push` made, the HTTPS ingress through a client that trusts
//! only pebble's issuing root, and the votes PostgreSQL stored, read with
//! psql in the db task. Everything here checks what it asks for and panics
//! with the command's output when it cannot.

use std::collections::HashSet;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::Lab;

/// The stack's namespace (`[stack] name` in muelle.toml).
pub const STACK: &str = "voting";

/// How long a rollout on the lab may take before a scenario gives up.
pub const ROLLOUT: Duration = Duration::from_secs(240);

/// `voting_<service>`, as Swarm names the stack's services.
pub fn full(service: &str) -> String {
    format!("{STACK}_{service}")
}

/// Runs `muelle ARGS` for the lab.
pub fn muelle(lab: &Lab, args: &[&str]) -> Output {
    lab.muelle(args).output().expect("run muelle")
}

/// Runs `muelle ARGS` for the lab; panics unless it succeeds; returns stdout.
pub fn muelle_ok(lab: &Lab, args: &[&str]) -> String {
    let output = muelle(lab, args);
    let (stdout, stderr) = texts(&output);
    assert!(
        output.status.success(),
        "muelle {} failed ({}):\n{stderr}\n{stdout}",
        args.join(" "),
        output.status
    );
    stdout
}

pub use testkit::texts;

/// Runs the docker CLI on the host; panics unless it succeeds; returns stdout.
pub fn host_docker(args: &[&str], stdin: Option<&str>) -> String {
    let mut command = Command::new("docker");
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = command.spawn().expect("run docker");
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("docker's stdin")
            .write_all(text.as_bytes())
            .expect("write docker's stdin");
    }
    let output = child.wait_with_output().expect("wait for docker");
    let (stdout, stderr) = texts(&output);
    assert!(
        output.status.success(),
        "docker {} failed: {stderr}",
        args.join(" ")
    );
    stdout
}

/// The manifest digest the lab registry gives `<service>:<tag>`, asked of
/// the registry itself (not of muelle).
pub fn registry_digest(lab: &Lab, service: &str, tag: &str) -> String {
    block_on(testkit::manifest_digest(&lab.registry(), service, tag))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Builds an image from `dockerfile` on the host (an empty context), pushes
/// it to the lab registry as `<service>:<tag>` and removes the host's tag;
/// returns its digest.
pub fn push_variant(lab: &Lab, service: &str, tag: &str, dockerfile: &str) -> String {
    let image = format!("{}/{service}:{tag}", lab.registry());
    host_docker(&["build", "-q", "-t", &image, "-"], Some(dockerfile));
    host_docker(&["push", "-q", &image], None);
    host_docker(&["rmi", &image], None);
    registry_digest(lab, service, tag)
}

/// The images of the running tasks Swarm wants running, one per task.
pub fn task_images(lab: &Lab, service: &str) -> Vec<String> {
    let mut images: Vec<String> = lab
        .docker_ok(&[
            "service",
            "ps",
            &full(service),
            "--no-trunc",
            "--filter",
            "desired-state=running",
            "--format",
            "{{.CurrentState}}|{{.Image}}",
        ])
        .lines()
        .filter(|l| l.starts_with("Running"))
        .filter_map(|l| l.split_once('|').map(|(_, image)| image.to_owned()))
        .collect();
    images.sort();
    images
}

/// Waits until every running task of `service` runs `digest` and there are
/// `replicas` of them.
pub fn wait_for_digest(lab: &Lab, service: &str, digest: &str, replicas: usize) {
    wait_for(
        &format!("{replicas} tasks of {service} on {digest}"),
        ROLLOUT,
        || {
            let images = task_images(lab, service);
            if images.len() == replicas && images.iter().all(|i| i.ends_with(digest)) {
                Ok(())
            } else {
                Err(format!("running {images:?}"))
            }
        },
    );
}

/// Polls `probe` every half second until it gives `Ok`; after `deadline`
/// panics naming `what` and the last `Err` (what was seen instead).
pub fn wait_for<T>(
    what: &str,
    deadline: Duration,
    mut probe: impl FnMut() -> Result<T, String>,
) -> T {
    let started = Instant::now();
    loop {
        match probe() {
            Ok(found) => return found,
            Err(seen) => assert!(
                started.elapsed() < deadline,
                "timed out waiting for {what}: {seen}"
            ),
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Asks `muelle status --env lab --json`.
pub fn status(lab: &Lab) -> Value {
    let stdout = muelle_ok(lab, &["status", "--env", "lab", "--json"]);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("status is not JSON ({e}): {stdout}"))
}

/// The lab's deploy history, oldest first.
pub fn history(lab: &Lab) -> Vec<Value> {
    let path = lab.state_dir().join("deploys.jsonl");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON history line"))
        .collect()
}

/// The ingress as users reach it: `https://<domain>:<port>` connected to
/// the host's loopback, with pebble's issuing root as the only trust.
pub struct Ingress {
    /// `https://voting.lab.test:<port>`.
    pub base: String,
    /// Where the ingress listens: `127.0.0.1:<port>`.
    pub addr: std::net::SocketAddr,
    /// The domain the certificate is for.
    pub domain: String,
    /// pebble's issuing root, the only certificate the client trusts.
    pub root: std::path::PathBuf,
    client: reqwest::Client,
}

impl Ingress {
    pub fn of(lab: &Lab) -> Ingress {
        let https = lab.field("/ingress/https");
        let authority = https.trim_start_matches("https://");
        let addr: std::net::SocketAddr = authority.parse().expect("the ingress is an address");
        let domain = lab.field("domain");
        let root = std::path::PathBuf::from(lab.field("/pebble/root_file"));
        let pem = std::fs::read(&root).expect("pebble's root");
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("a PEM root")])
            .resolve(&domain, addr)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTPS client");
        Ingress {
            base: format!("https://{domain}:{}", addr.port()),
            addr,
            domain,
            root,
            client,
        }
    }

    /// `GET <path>`: the status and body.
    pub async fn get(&self, path: &str) -> Result<(u16, String), reqwest::Error> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    /// Casts a vote for `a` or `b` as a new voter; returns the voter id
    /// vote acknowledged it under.
    pub async fn vote(&self, choice: &str) -> String {
        let response = self
            .client
            .post(format!("{}/", self.base))
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("vote={choice}"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("a vote through the ingress");
        let answer: Value = response.json().await.expect("vote answers JSON");
        answer["voter_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no voter id in {answer}"))
            .to_owned()
    }

    /// loadgen's view of the ingress: the URL on the domain, connected to
    /// loopback, trusting pebble's root.
    pub fn load(&self) -> loadgen::VoteLoad {
        let rule = format!(
            "{}:{}:{}:{}",
            self.domain,
            self.addr.port(),
            self.addr.ip(),
            self.addr.port()
        );
        let dial = loadgen::Dial::default()
            .ca(&self.root)
            .connect_to(rule.parse().expect("a --connect-to rule"));
        loadgen::VoteLoad::new(format!("{}/", self.base)).dial(dial)
    }
}

/// loadgen voting through the ingress on a fixed schedule until finished,
/// on a runtime of its own, recording every acknowledged voter.
pub struct Voting {
    runtime: tokio::runtime::Runtime,
    running: loadgen::Running,
}

impl Voting {
    /// Starts `rate` votes per second on 4 connections.
    pub fn start(lab: &Lab, rate: f64) -> Voting {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let running = runtime.block_on(async {
            Ingress::of(lab)
                .load()
                .connections(4)
                .pace(loadgen::Pace::Rate(rate))
                .limit(loadgen::Limit::Unbounded)
                .record_voters()
                .start()
                .await
                .expect("loadgen starts")
        });
        Voting { runtime, running }
    }

    /// Votes acknowledged so far.
    pub fn acknowledged(&self) -> u64 {
        self.running.progress().acknowledged
    }

    /// Waits until `n` votes have been acknowledged.
    pub fn wait_for(&self, n: u64) {
        wait_for(
            "acknowledged votes",
            Duration::from_secs(60),
            || match self.acknowledged() {
                got if got >= n => Ok(()),
                got => Err(format!("{got} of {n}")),
            },
        );
    }

    /// Stops voting and reports.
    pub fn finish(self) -> loadgen::Report {
        let report = self.runtime.block_on(self.running.finish());
        eprintln!("{report}");
        report
    }
}

/// Runs `future` to completion on a runtime of its own.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// The voter ids PostgreSQL has stored.
pub fn stored_voters(lab: &Lab) -> HashSet<String> {
    psql(lab, "SELECT id FROM votes")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Runs SQL as postgres in the db task.
pub fn psql(lab: &Lab, sql: &str) -> String {
    let db = lab.docker_ok(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.swarm.service.name={}", full("db")),
    ]);
    let db = db.lines().next().expect("the db task runs on the manager");
    lab.docker_ok(&["exec", db, "psql", "-U", "postgres", "-Atc", sql])
}

/// Waits until every voter in `acknowledged` is stored.
pub fn assert_all_stored(lab: &Lab, acknowledged: &[String]) {
    wait_for(
        "every acknowledged vote in the table",
        Duration::from_secs(90),
        || {
            let stored = stored_voters(lab);
            match acknowledged.iter().filter(|v| !stored.contains(*v)).count() {
                0 => Ok(()),
                missing => Err(format!("{missing} of {} missing", acknowledged.len())),
            }
        },
    );
}

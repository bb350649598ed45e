//! A one-node Swarm for a test: a docker-in-docker container of the lab's
//! node image (built first when missing, as `muelle lab` builds it), its
//! engine on a loopback port, made a swarm manager. The container and its
//! volume carry the test labels and `muelle.test.node=<name>`; the
//! returned guard removes them when the test ends, even on failure.

use std::process::Command;
use std::time::Duration;

use bollard::Docker;
use bollard::models::SwarmInitRequest;

use crate::common::{PID_LABEL, TEST_LABEL, remove_labelled, repo, run_id};

/// Label naming one test's node container and volume, for its guard.
const NODE_LABEL: &str = "muelle.test.node";
/// How long the node's engine may take to answer (it starts its own dockerd).
const ENGINE_START: Duration = Duration::from_secs(90);

/// A running one-node swarm, removed on drop.
pub struct SwarmNode {
    /// The container's name, also the node's hostname.
    pub name: String,
    /// The node's engine, `127.0.0.1:<port>`.
    pub port: u16,
    /// A client of the node's engine.
    pub docker: Docker,
}

impl SwarmNode {
    /// Starts node `name` and makes it a one-node swarm.
    pub async fn start(name: &str) -> SwarmNode {
        let image = ensure_node_image().await;
        // Made first, so that a failed start is cleaned up too.
        let mut node = SwarmNode {
            name: name.to_owned(),
            port: 0,
            docker: Docker::connect_with_defaults().expect("host engine"),
        };
        node.port = run_node(name, &image);
        node.docker = init_swarm(name, node.port).await;
        node
    }

    /// `tcp://127.0.0.1:<port>`, for `DOCKER_HOST`.
    pub fn endpoint(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }
}

impl Drop for SwarmNode {
    fn drop(&mut self) {
        remove_labelled(&format!("{NODE_LABEL}={}", self.name));
    }
}

/// Builds the lab's node image (and the Debian base under it) when missing
/// or out of date, as `muelle lab` does.
async fn ensure_node_image() -> String {
    let docker = Docker::connect_with_defaults().expect("host engine");
    let manifest = muelle::project::manifest::Manifest::load(&repo().join("muelle.toml"))
        .expect("the repository's manifest");
    let mut bases = manifest.bases;
    bases.may_install = true;
    let progress = muelle::ui::progress::Progress::new();
    muelle::image::bases::ensure(&docker, &repo(), &bases, "node", &progress, false)
        .await
        .expect("the node image")
}

/// Runs the docker CLI on the host; panics unless it succeeds; returns stdout.
pub fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        output.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Starts the node container with its engine on a loopback port; returns the port.
fn run_node(name: &str, image: &str) -> u16 {
    let labels: Vec<String> = [
        format!("{TEST_LABEL}={}", run_id()),
        format!("{PID_LABEL}={}", std::process::id()),
        format!("{NODE_LABEL}={name}"),
    ]
    .iter()
    .flat_map(|l| ["--label".to_owned(), l.clone()])
    .collect();
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let volume = format!("{name}-docker");
    docker(&[&["volume", "create"][..], &labels, &[&volume]].concat());
    let node_name = format!("NODE_NAME={name}");
    let mount = format!("{volume}:/var/lib/docker");
    let run = [
        "run",
        "-d",
        "--name",
        name,
        "--hostname",
        name,
        "-e",
        &node_name,
        "-e",
        "DOCKERD_TCP=0.0.0.0:2375",
        "-p",
        "127.0.0.1::2375",
        "--cap-add",
        "ALL",
        "--cap-drop",
        "SYS_RESOURCE",
        "--security-opt",
        "seccomp=unconfined",
        "--security-opt",
        "apparmor=unconfined",
        "--security-opt",
        "systempaths=unconfined",
        "--device-cgroup-rule",
        "a *:* rwm",
        "--tmpfs",
        "/run",
        "-v",
        "/sys/fs/cgroup:/sys/fs/cgroup:rw",
        "-v",
        &mount,
    ];
    docker(&[&run[..], &labels, &[image]].concat());
    let published = docker(&["port", name, "2375/tcp"]);
    published
        .lines()
        .find_map(|l| l.trim().rsplit_once(':')?.1.parse().ok())
        .unwrap_or_else(|| panic!("no published engine port: {published}"))
}

/// Waits for the node's engine and makes it a one-node swarm.
async fn init_swarm(name: &str, port: u16) -> Docker {
    let node = Docker::connect_with_http(
        &format!("127.0.0.1:{port}"),
        30,
        bollard::API_DEFAULT_VERSION,
    )
    .expect("node client");
    let deadline = tokio::time::Instant::now() + ENGINE_START;
    while node.ping().await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the node's engine did not start"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let address = docker(&["inspect", "-f", "{{.NetworkSettings.IPAddress}}", name]);
    node.init_swarm(SwarmInitRequest {
        listen_addr: Some("0.0.0.0:2377".into()),
        advertise_addr: Some(address.trim().to_owned()),
        ..Default::default()
    })
    .await
    .expect("swarm init");
    node
}

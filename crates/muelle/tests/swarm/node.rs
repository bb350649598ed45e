//! A one-node Swarm for the tests: a docker-in-docker node container (the
//! `node` recipe, DESIGN §3) with its engine API published on the host's
//! loopback, `swarm init` on it, and a registry (the `registry` recipe)
//! running inside it on the node's 127.0.0.1:5000, which its engine trusts
//! over plain HTTP, so services name images by a real registry digest.
//! Everything on the host carries `muelle.test=<unique>` and goes when the
//! node drops, also when a scenario fails.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding, SwarmInitRequest};
use bollard::query_parameters::{CreateContainerOptions, ImportImageOptions};
use futures::TryStreamExt;
use muelle::engine::images::{self, BuildRequest};
use muelle::image::bases;
use muelle::project::manifest::Bases;
use muelle::ui::progress::Progress;

/// Label on everything the tests make on the host.
const TEST_LABEL: &str = "muelle.test";
/// Where the registry inside the node listens, as the node's engine sees it.
pub const REGISTRY: &str = "127.0.0.1:5000";
/// How long a fresh node's engine may take to answer.
const ENGINE_READY: Duration = Duration::from_secs(120);
/// How long the registry inside the node may take to take a push.
const REGISTRY_READY: Duration = Duration::from_secs(60);

/// The running node; removed on drop.
pub struct Node {
    /// The node's own engine (a Swarm manager).
    pub docker: Docker,
    /// Its engine's address, `tcp://127.0.0.1:<port>`.
    pub endpoint: String,
    /// Unique in this run: names the container, its volume, the stack.
    pub id: String,
    container: Removal,
}

/// Removes the node container and its volume when dropped; made before
/// the container starts, so a failed start is cleaned up too.
struct Removal(String);

/// The images the probe service runs, by registry digest.
pub struct ProbeImages {
    /// Healthy.
    pub v1: String,
    /// Healthy, another digest.
    pub v2: String,
    /// Its health check never passes.
    pub unhealthy: String,
}

impl Node {
    /// Builds the recipes if needed, starts the node and makes it a swarm.
    pub async fn start() -> Node {
        let host = Docker::connect_with_defaults().expect("the host's Docker engine");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let progress = Progress::new();
        let bases = Bases::default();
        for recipe in ["node", "registry"] {
            bases::ensure(&host, &root, &bases, recipe, &progress, false)
                .await
                .unwrap_or_else(|e| panic!("building the {recipe} recipe: {e}"));
        }
        let id = format!("mswarm{}", std::process::id());
        let container = format!("{id}-node");
        let removal = Removal(container.clone());
        docker_cli(&[
            "run",
            "-d",
            "--name",
            &container,
            "--hostname",
            &container,
            "--label",
            &format!("{TEST_LABEL}={id}"),
            "-e",
            &format!("NODE_NAME={container}"),
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
            &format!("{container}-docker:/var/lib/docker"),
            &bases::tag(&bases, "node"),
        ]);
        let port = docker_cli(&["port", &container, "2375/tcp"]);
        let address = port
            .trim()
            .lines()
            .next()
            .expect("the published engine port");
        let endpoint = format!("tcp://{address}");
        let docker = Docker::connect_with_http(&endpoint, 120, bollard::API_DEFAULT_VERSION)
            .expect("a client for the node's engine");
        let node = Node {
            docker,
            endpoint,
            id,
            container: removal,
        };
        node.wait_for_engine().await;
        let ip = docker_cli(&[
            "inspect",
            "-f",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            &container,
        ]);
        node.docker
            .init_swarm(SwarmInitRequest {
                listen_addr: Some("0.0.0.0:2377".into()),
                advertise_addr: Some(ip.trim().to_owned()),
                ..Default::default()
            })
            .await
            .expect("swarm init on the node");
        for recipe in ["debian", "registry"] {
            node.load(&host, &bases::tag(&bases, recipe)).await;
        }
        node.start_registry(&bases::tag(&bases, "registry")).await;
        node
    }

    async fn wait_for_engine(&self) {
        let started = Instant::now();
        while self.docker.ping().await.is_err() {
            assert!(
                started.elapsed() < ENGINE_READY,
                "the node's engine did not answer within {ENGINE_READY:?}: {}",
                docker_cli(&["logs", "--tail", "20", &self.container.0])
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// `docker save` on the host, `docker load` on the node.
    async fn load(&self, host: &Docker, image: &str) {
        let archive: Vec<u8> = host
            .export_image(image)
            .map_ok(|chunk| chunk.to_vec())
            .try_concat()
            .await
            .unwrap_or_else(|e| panic!("saving {image} on the host: {e}"));
        let body = bollard::body_full(archive.into());
        self.docker
            .import_image(ImportImageOptions::default(), body, None)
            .try_collect::<Vec<_>>()
            .await
            .unwrap_or_else(|e| panic!("loading {image} into the node: {e}"));
    }

    async fn start_registry(&self, image: &str) {
        let ports = [(
            "5000/tcp".to_owned(),
            Some(vec![PortBinding {
                host_ip: Some("127.0.0.1".into()),
                host_port: Some("5000".into()),
            }]),
        )];
        let body = ContainerCreateBody {
            image: Some(image.to_owned()),
            host_config: Some(HostConfig {
                port_bindings: Some(ports.into_iter().collect()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = CreateContainerOptions {
            name: Some("registry".into()),
            ..Default::default()
        };
        self.docker
            .create_container(Some(options), body)
            .await
            .expect("creating the registry in the node");
        self.docker
            .start_container(
                "registry",
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .expect("starting the registry in the node");
    }

    /// Builds and pushes the probe's images inside the node: Debian with a
    /// `/healthy` file (two variants) and without one.
    pub async fn probe_images(&self) -> ProbeImages {
        ProbeImages {
            v1: self.push_probe("v1", true).await,
            v2: self.push_probe("v2", true).await,
            unhealthy: self.push_probe("unhealthy", false).await,
        }
    }

    async fn push_probe(&self, variant: &str, healthy: bool) -> String {
        let debian = bases::tag(&Bases::default(), "debian");
        let mut dockerfile = format!("FROM {debian}\nLABEL muelle.test.variant={variant}\n");
        if healthy {
            dockerfile.push_str("COPY healthy /healthy\n");
        }
        let context = tar_of(&[("Dockerfile", dockerfile.as_bytes()), ("healthy", b"ok\n")]);
        let repository = format!("{REGISTRY}/probe");
        let tag = format!("{repository}:{variant}");
        let request = BuildRequest {
            tag: &tag,
            context,
            args: Default::default(),
            labels: Default::default(),
        };
        images::build(&self.docker, request, &mut |_| {})
            .await
            .unwrap_or_else(|e| panic!("building {tag} in the node: {e}"));
        let started = Instant::now();
        loop {
            match images::push(&self.docker, &repository, variant, None, &mut |_| {}).await {
                Ok(Some(digest)) => return format!("{repository}@{digest}"),
                outcome => assert!(
                    started.elapsed() < REGISTRY_READY,
                    "pushing {tag} to the node's registry: {outcome:?}"
                ),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

impl Drop for Removal {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "-f", "-v", &self.0])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = Command::new("docker")
            .args(["volume", "rm", &format!("{}-docker", self.0)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn docker_cli(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("running the docker CLI");
    assert!(
        output.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, name, *bytes)
            .expect("a tar entry");
    }
    builder.into_inner().expect("a tar archive")
}

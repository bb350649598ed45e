//! `muelle status` against a real swarm: one docker-in-docker node
//! (`swarm_node`) made a single-node swarm for this test, a healthy
//! service and one whose image does not exist, shown once, as JSON and
//! with `--watch`; and the one line for an engine that cannot be reached.

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{
    HealthConfig, ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec,
    TaskSpecContainerSpec,
};
use bollard::query_parameters::ImportImageOptions;
use futures::StreamExt;
use serde_json::Value;

use crate::common::{Cleanup, Fixture, Test, eventually, free_port, hello_project, project_name};
use crate::swarm_node::SwarmNode;

/// The image the node runs its service from: the Debian base, copied in.
const DEBIAN: &str = "muelle/debian:bookworm";
/// How long Swarm may take to run, or reject, a task.
const CONVERGE: Duration = Duration::from_secs(90);

#[test]
fn status_shows_a_real_swarm_node_its_tasks_and_what_is_not_converged() {
    let fixture = project_with_test_environment();
    let project = project_name("status");
    let _cleanup = Cleanup::new(&project);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let swarm = runtime.block_on(SwarmNode::start(&project));
    let host = swarm.endpoint();
    let node = runtime.block_on(label_and_load(&swarm));
    let status = |args: &[&str]| {
        Test::new(fixture.path(), &project)
            .env("DOCKER_HOST", &host)
            .env("NO_COLOR", "1")
            .args(&["status", "--env", "test"])
            .args(args)
    };

    let sleeper = format!("{project}_sleeper");
    runtime.block_on(create_service(&node, &project, "sleeper", DEBIAN));
    let report = eventually("the sleeper to run healthy", CONVERGE, || {
        let report: Value = serde_json::from_str(&status(&["--json"]).success()).expect("JSON");
        let healthy = report["tasks"].as_array()?.iter().any(|t| {
            t["service"] == sleeper.as_str() && t["state"] == "running" && t["health"] == "healthy"
        });
        healthy.then_some(report)
    });
    assert_eq!(report["nodes"][0]["hostname"], project.as_str());
    assert_eq!(report["nodes"][0]["role"], "manager");
    assert_eq!(report["nodes"][0]["state"], "ready");
    assert_eq!(report["nodes"][0]["labels"]["muelle.test.zone"], "a");
    assert_eq!(report["services"][0]["short_name"], "sleeper");
    assert_eq!(report["services"][0]["version"], "test-1");
    assert_eq!(report["warnings"], Value::Array(Vec::new()), "{report}");

    let text = status(&[]).success();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(&format!("{project}  manager (leader)  active  ready  ")),
        "{text}"
    );
    assert_eq!(lines[1], "  labels muelle.test.zone=a", "{text}");
    assert!(
        lines[2].starts_with(&format!(
            "  {sleeper}.1  bookworm  -  running  healthy  since "
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  {sleeper}  replicated 1/1  test-1  -  no update yet"
        )),
        "{text}"
    );
    assert!(
        text.ends_with(
            "converged: nothing to warn about\n\n\
             alerts (no Alertmanager: muelle deploy --stack monitoring)\n"
        ),
        "{text}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let mut watch = status(&["--watch"]).spawn(dir.path());
    let stdout = || std::fs::read_to_string(dir.path().join("stdout.txt")).unwrap_or_default();
    eventually("the first block", CONVERGE, || {
        stdout()
            .contains("converged: nothing to warn about")
            .then_some(())
    });
    let broken = format!("{project}_broken");
    runtime.block_on(create_service(
        &node,
        &project,
        "broken",
        "127.0.0.1:1/missing:1",
    ));
    let later = eventually("a block with the rejected task", CONVERGE, || {
        let out = stdout();
        out.contains(&format!("! {broken}.1 rejected on {project}: "))
            .then_some(out)
    });
    assert!(
        later.contains(&format!("! {broken}: 0 of 1 tasks running"))
            && later.contains("No such image: 127.0.0.1:1/missing:1"),
        "{later}"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(watch.id()).expect("a pid")),
        nix::sys::signal::Signal::SIGINT,
    )
    .expect("interrupt");
    let exit = eventually("muelle to stop on Ctrl-C", Duration::from_secs(10), || {
        watch.try_wait().expect("wait")
    });
    assert!(exit.success(), "{exit}");
    assert!(
        later.lines().filter(|l| *l == "services").count() >= 2,
        "without a terminal each change is a new block: {later}"
    );

    let report: Value = serde_json::from_str(&status(&["--json"]).success()).expect("JSON");
    let kinds: Vec<&str> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"replicas_missing") && kinds.contains(&"task_failed"),
        "{report}"
    );
}

#[test]
fn an_unreachable_endpoint_is_one_line() {
    let fixture = project_with_test_environment();
    let port = free_port();
    let line = Test::new(fixture.path(), &project_name("unreach"))
        .env("DOCKER_HOST", format!("tcp://127.0.0.1:{port}"))
        .args(&["status", "--env", "test"])
        .failure(1);
    assert!(
        line.starts_with(&format!(
            "muelle: cannot reach the Docker engine of environment test at tcp://127.0.0.1:{port}: "
        )),
        "{line}"
    );
}

/// The hello project with an environment `test`, whose engine
/// `DOCKER_HOST` gives (it overrides a declared environment's endpoint).
fn project_with_test_environment() -> Fixture {
    let fixture = hello_project();
    let manifest = fixture.path().join("muelle.toml");
    let mut text = std::fs::read_to_string(&manifest).expect("manifest");
    text.push_str("\n[environments.test]\nregistry = \"127.0.0.1:1\"\nrepository = \"\"\n");
    std::fs::write(&manifest, text).expect("manifest");
    fixture
}

/// Labels the node and copies the Debian base into it.
async fn label_and_load(swarm: &SwarmNode) -> Docker {
    let node = swarm.docker.clone();
    let id = node
        .info()
        .await
        .expect("info")
        .swarm
        .and_then(|s| s.node_id)
        .expect("node id");
    let mut spec = node.inspect_node(&id).await.expect("inspect node");
    let version = spec.version.and_then(|v| v.index).expect("node version");
    let version = i64::try_from(version).expect("a version that fits");
    let mut node_spec = spec.spec.take().expect("node spec");
    node_spec.labels = Some(HashMap::from([("muelle.test.zone".into(), "a".into())]));
    node.update_node(
        &id,
        node_spec,
        bollard::query_parameters::UpdateNodeOptions { version },
    )
    .await
    .expect("label the node");

    let host = Docker::connect_with_defaults().expect("host engine");
    let image = host.export_image(DEBIAN);
    let mut loading = node.import_image_stream(ImportImageOptions::default(), image, None);
    while let Some(step) = loading.next().await {
        step.expect("load the Debian base into the node");
    }
    node
}

/// A one-replica service of stack `stack` with a health check.
async fn create_service(node: &Docker, stack: &str, short_name: &str, image: &str) {
    let spec = ServiceSpec {
        name: Some(format!("{stack}_{short_name}")),
        labels: Some(HashMap::from([
            ("com.docker.stack.namespace".into(), stack.into()),
            ("muelle.version".into(), "test-1".into()),
        ])),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(image.into()),
                command: Some(vec!["sleep".into(), "infinity".into()]),
                health_check: Some(HealthConfig {
                    test: Some(vec!["CMD".into(), "true".into()]),
                    interval: Some(500_000_000),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        mode: Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated { replicas: Some(1) }),
            ..Default::default()
        }),
        ..Default::default()
    };
    node.create_service(spec, None)
        .await
        .expect("create the service");
}

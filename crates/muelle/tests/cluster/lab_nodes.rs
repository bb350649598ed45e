//! The lab's swarm: three Ready nodes, the manager labelled for the
//! stack's placement, `lab status --json` with what scripts need, and a
//! second `lab up` that finds everything and changes nothing.

use std::process::Command;

use serde_json::Value;
use testkit::Lab;

/// What the stack's placement constraints need on the manager.
const MANAGER_LABELS: [&str; 3] = ["muelle.db", "muelle.redis", "muelle.ingress"];

pub fn ready_labelled_and_idempotent(lab: &Lab) {
    let info = &lab.info;
    for key in [
        "name",
        "nodes",
        "endpoint",
        "registry",
        "ingress",
        "domain",
        "pebble",
        "variables",
        "state_dir",
    ] {
        assert!(
            info.get(key).is_some(),
            "lab status --json has no {key}: {info}"
        );
    }
    for (scheme, pointer) in [("http", "/ingress/http"), ("https", "/ingress/https")] {
        let url = lab.field(pointer);
        assert!(
            url.starts_with(&format!("{scheme}://127.0.0.1:")),
            "{pointer} is {url}"
        );
    }
    assert!(
        lab.registry().starts_with("127.0.0.1:"),
        "{}",
        lab.registry()
    );
    assert!(
        lab.endpoint().starts_with("tcp://127.0.0.1:"),
        "{}",
        lab.endpoint()
    );
    for variable in ["CADDY_IMAGE", "REDIS_IMAGE", "POSTGRES_IMAGE"] {
        let image = lab.field(&format!("/variables/{variable}"));
        assert!(
            image.starts_with(&format!("{}/muelle/", lab.registry())) && image.contains("@sha256:"),
            "{variable} is {image}"
        );
    }
    let password = lab.field("/variables/DB_PASSWORD_FILE");
    assert!(
        std::fs::read_to_string(&password).is_ok_and(|p| p.len() >= 32),
        "{password}"
    );

    let nodes = info["nodes"].as_array().expect("nodes is a list");
    assert_eq!(nodes.len(), 3, "{info}");
    for (i, node) in nodes.iter().enumerate() {
        let name = format!("{}-node-{}", lab.name, i + 1);
        assert_eq!(node["name"], Value::from(name.as_str()), "{node}");
        assert_eq!(node["state"], "ready", "{node}");
        assert_eq!(node["availability"], "active", "{node}");
        assert_eq!(node["container_state"], "running", "{node}");
        assert_eq!(
            node["role"],
            if i == 0 { "manager" } else { "worker" },
            "{node}"
        );
    }
    // What the swarm itself says, through the docker CLI at the endpoint.
    let listed = lab.docker_ok(&[
        "node",
        "ls",
        "--format",
        "{{.Hostname}} {{.Status}} {{.ManagerStatus}}",
    ]);
    assert_eq!(
        listed.lines().filter(|l| l.contains(" Ready")).count(),
        3,
        "{listed}"
    );
    assert!(
        listed.contains(&format!("{}-node-1 Ready Leader", lab.name)),
        "{listed}"
    );
    let labels = lab.docker_ok(&[
        "node",
        "inspect",
        &format!("{}-node-1", lab.name),
        "--format",
        "{{json .Spec.Labels}}",
    ]);
    let labels: Value = serde_json::from_str(labels.trim()).expect("labels as JSON");
    for label in MANAGER_LABELS {
        assert_eq!(labels[label], "true", "manager labels: {labels}");
    }

    // A second `lab up` finds everything: same containers, not restarted.
    let before = containers(&lab.name);
    assert_eq!(
        before.lines().count(),
        5,
        "3 nodes, registry, pebble:\n{before}"
    );
    let started = std::time::Instant::now();
    let again = lab
        .muelle(&["lab", "up"])
        .output()
        .expect("run muelle lab up");
    let took = started.elapsed();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        containers(&lab.name),
        before,
        "a second lab up changed containers"
    );
    assert_eq!(lab.status()["endpoint"], info["endpoint"]);
    assert_eq!(lab.status()["variables"], info["variables"]);
    assert!(
        took < std::time::Duration::from_secs(30),
        "a second lab up took {took:?}"
    );
}

/// `name id started-at` of each container of the lab, sorted.
fn containers(lab: &str) -> String {
    let ids = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label=muelle.lab={lab}")])
        .output()
        .expect("docker ps");
    let ids: Vec<String> = String::from_utf8_lossy(&ids.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let output = Command::new("docker")
        .args([
            "inspect",
            "--format",
            "{{.Name}} {{.Id}} {{.State.StartedAt}}",
        ])
        .args(&ids)
        .output()
        .expect("docker inspect");
    let mut lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines.join("\n")
}

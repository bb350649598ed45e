//! The plan of the project's own stack, given to a real Swarm: one
//! docker-in-docker node (`swarm_node`) made a single-node swarm, then
//! every network, secret, config and service of the plan created through
//! the Engine API. Swarm validates a spec when
//! it is created, so this proves it accepts what `stack::plan` builds. The
//! services run no tasks (replicas 0): their images are not there to pull,
//! and nothing may be pulled from outside.

use std::collections::BTreeMap;

use bollard::models::ServiceSpecModeReplicated;
use muelle::stack::{StackSource, load, plan};

use crate::common::{Cleanup, project_name, repo};
use crate::swarm_node::{SwarmNode, docker};

fn container_of(spec: &bollard::models::ServiceSpec) -> bollard::models::TaskSpecContainerSpec {
    spec.task_template.clone().unwrap().container_spec.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swarm_accepts_the_planned_stack() {
    let project = project_name("stack");
    let _cleanup = Cleanup::new(&project);
    let swarm = SwarmNode::start(&format!("{project}-node")).await;

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("db_password"), "swarm test password").unwrap();
    std::fs::write(dir.path().join("ca.pem"), "a CA").unwrap();
    let digest = format!("sha256:{}", "ab".repeat(32));
    let mut variables: BTreeMap<String, String> = [
        ("INGRESS_DOMAIN", "voting.lab.test"),
        ("LAB_PEBBLE_IP", "10.99.0.5"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for image in ["VOTE", "RESULT", "WORKER", "CADDY", "REDIS", "POSTGRES"] {
        let name = image.to_lowercase();
        variables.insert(
            format!("{image}_IMAGE"),
            format!("127.0.0.1:5000/{name}@{digest}"),
        );
    }
    variables.insert(
        "DB_PASSWORD_FILE".into(),
        dir.path().join("db_password").display().to_string(),
    );
    variables.insert(
        "ACME_CA_FILE".into(),
        dir.path().join("ca.pem").display().to_string(),
    );
    let source = StackSource {
        files: vec![
            repo().join("deploy/stack.yaml"),
            repo().join("deploy/stack.lab.yaml"),
        ],
        variables,
    };
    let stack = load(&source).unwrap();
    let plan = plan(&stack, &project).unwrap();

    let engine = &swarm.docker;
    let mut ids = BTreeMap::new();
    for network in &plan.networks {
        let created = engine
            .create_network(network.clone())
            .await
            .unwrap_or_else(|e| panic!("network {}: {e}", network.name));
        ids.insert(network.name.clone(), created.id);
    }
    for secret in &plan.secrets {
        let id = engine
            .create_secret(secret.clone())
            .await
            .expect("secret accepted")
            .id;
        ids.insert(secret.name.clone().unwrap(), id);
    }
    for config in &plan.configs {
        let id = engine
            .create_config(config.clone())
            .await
            .expect("config accepted")
            .id;
        ids.insert(config.name.clone().unwrap(), id);
    }
    for (name, spec) in &plan.services {
        let mut spec = spec.clone();
        spec.mode.as_mut().unwrap().replicated =
            Some(ServiceSpecModeReplicated { replicas: Some(0) });
        let container = spec
            .task_template
            .as_mut()
            .unwrap()
            .container_spec
            .as_mut()
            .unwrap();
        for secret in container.secrets.iter_mut().flatten() {
            secret.secret_id = Some(ids[secret.secret_name.as_ref().unwrap()].clone());
        }
        for config in container.configs.iter_mut().flatten() {
            config.config_id = Some(ids[config.config_name.as_ref().unwrap()].clone());
        }
        engine
            .create_service(spec.clone(), None)
            .await
            .unwrap_or_else(|e| panic!("service {name}: {e}"));
        let stored = engine
            .inspect_service(spec.name.as_ref().unwrap(), None)
            .await
            .unwrap()
            .spec
            .unwrap();
        // What Swarm stored is what was asked, in the parts a deploy relies on.
        assert_eq!(stored.update_config, spec.update_config, "{name}");
        assert_eq!(stored.rollback_config, spec.rollback_config, "{name}");
        assert_eq!(stored.endpoint_spec, spec.endpoint_spec, "{name}");
        assert_eq!(stored.labels, spec.labels, "{name}");
        let task = |s: &bollard::models::ServiceSpec| s.task_template.clone().unwrap();
        assert_eq!(task(&stored).placement, task(&spec).placement, "{name}");
        assert_eq!(task(&stored).resources, task(&spec).resources, "{name}");
        // Swarm stores a network attachment by the network's id.
        let mut wanted = task(&spec).networks.unwrap();
        for attachment in &mut wanted {
            attachment.target = Some(ids[attachment.target.as_ref().unwrap()].clone());
        }
        assert_eq!(task(&stored).networks, Some(wanted), "{name}");
        // bollard sends the health check as `HealthCheck`, which the daemon
        // reads (Go matches keys without case), but answers `Healthcheck`,
        // which bollard does not read back: ask the node's own CLI.
        let wanted = container_of(&spec).health_check.unwrap().test.unwrap();
        let format = "{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck.Test}}";
        let full_name = spec.name.as_deref().unwrap();
        let stored_test = docker(&[
            "exec",
            &swarm.name,
            "docker",
            "service",
            "inspect",
            "--format",
            format,
            full_name,
        ]);
        assert_eq!(
            serde_json::from_str::<Vec<String>>(&stored_test).unwrap(),
            wanted,
            "{name}"
        );
    }
}

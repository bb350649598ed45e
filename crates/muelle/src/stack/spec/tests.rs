//! Unit tests of the plan: the project's own stack turned into Engine API
//! objects, checked against what its file says.

use bollard::models::{
    EndpointPortConfigPublishModeEnum, EndpointSpecModeEnum, MountType,
    ServiceSpecRollbackConfigFailureActionEnum, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpecRestartPolicyConditionEnum,
};

use base64::Engine as _;

use super::*;
use crate::stack::fixture::RealStack;
use crate::stack::{content_hash, load};

const SECOND: i64 = 1_000_000_000;

fn real_plan() -> (RealStack, StackPlan) {
    let stack = RealStack::new(true);
    let file = load(&stack.source).unwrap();
    let plan = plan(&file, "voting").unwrap();
    (stack, plan)
}

#[test]
fn vote_is_planned_as_the_file_says() {
    let (_stack, plan) = real_plan();
    let vote = &plan.services["vote"];
    assert_eq!(vote.name.as_deref(), Some("voting_vote"));
    let labels = vote.labels.as_ref().unwrap();
    assert_eq!(labels[NAMESPACE_LABEL], "voting");
    assert_eq!(labels[IMAGE_LABEL], "registry.test/vote@sha256:1111");
    let mode = vote.mode.as_ref().unwrap().replicated.as_ref().unwrap();
    assert_eq!(mode.replicas, Some(2));
    let task = vote.task_template.as_ref().unwrap();
    assert_eq!(task.placement.as_ref().unwrap().max_replicas, Some(1));
    let update = vote.update_config.as_ref().unwrap();
    assert_eq!(
        update.order,
        Some(ServiceSpecUpdateConfigOrderEnum::START_FIRST)
    );
    assert_eq!(
        update.failure_action,
        Some(ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK)
    );
    assert_eq!(update.monitor, Some(15 * SECOND));
    assert_eq!(update.delay, Some(5 * SECOND));
    assert_eq!(
        (update.parallelism, update.max_failure_ratio),
        (Some(1), Some(0.0))
    );
    let rollback = vote.rollback_config.as_ref().unwrap();
    assert_eq!(
        rollback.failure_action,
        Some(ServiceSpecRollbackConfigFailureActionEnum::PAUSE)
    );
    let endpoint = vote.endpoint_spec.as_ref().unwrap();
    assert_eq!(endpoint.mode, Some(EndpointSpecModeEnum::DNSRR));
    assert_eq!(endpoint.ports, None, "nothing but the ingress is published");
    let networks: Vec<(String, Vec<String>)> = task
        .networks
        .as_ref()
        .unwrap()
        .iter()
        .map(|n| (n.target.clone().unwrap(), n.aliases.clone().unwrap()))
        .collect();
    assert_eq!(
        networks,
        [
            ("monitoring".to_owned(), vec!["vote".to_owned()]),
            ("voting_edge".to_owned(), vec!["vote".to_owned()]),
            ("voting_frontend".to_owned(), vec!["vote".to_owned()]),
        ]
    );
    let container = task.container_spec.as_ref().unwrap();
    assert_eq!(
        container.image.as_deref(),
        Some("registry.test/vote@sha256:1111")
    );
    let health = container.health_check.as_ref().unwrap();
    assert_eq!(
        health.test.as_deref().unwrap(),
        ["CMD", "/usr/local/bin/app", "--healthcheck"]
    );
    assert_eq!(
        (health.interval, health.timeout, health.retries),
        (Some(2 * SECOND), Some(2 * SECOND), Some(3))
    );
    assert_eq!(health.start_period, Some(10 * SECOND));
    assert_eq!(container.stop_grace_period, Some(10 * SECOND));
    let env = container.env.as_ref().unwrap();
    assert_eq!(
        env,
        &[
            "OPTION_A=Cats",
            "OPTION_B=Dogs",
            "PORT=8080",
            "REDIS_URL=redis://redis:6379"
        ]
    );
    let resources = task.resources.as_ref().unwrap();
    let limits = resources.limits.as_ref().unwrap();
    assert_eq!(
        (limits.nano_cpus, limits.memory_bytes),
        (Some(SECOND / 2), Some(128 << 20))
    );
    let reservations = resources.reservations.as_ref().unwrap();
    assert_eq!(
        (reservations.nano_cpus, reservations.memory_bytes),
        (Some(SECOND / 20), Some(16 << 20))
    );
    let restart = task.restart_policy.as_ref().unwrap();
    assert_eq!(
        restart.condition,
        Some(TaskSpecRestartPolicyConditionEnum::ANY)
    );
    assert_eq!(
        (restart.delay, restart.window),
        (Some(2 * SECOND), Some(30 * SECOND))
    );
}

#[test]
fn db_is_pinned_with_its_secret_and_volume() {
    let (stack, plan) = real_plan();
    let db = &plan.services["db"];
    let task = db.task_template.as_ref().unwrap();
    assert_eq!(
        task.placement
            .as_ref()
            .unwrap()
            .constraints
            .as_deref()
            .unwrap(),
        ["node.labels.muelle.db == true"]
    );
    let container = task.container_spec.as_ref().unwrap();
    let password = std::fs::read(stack.password_file()).unwrap();
    let secret_name = format!("db_password_{}", content_hash(&password));
    let secret = &container.secrets.as_ref().unwrap()[0];
    assert_eq!(secret.secret_name.as_deref(), Some(secret_name.as_str()));
    assert_eq!(
        secret.secret_id, None,
        "filled in by whoever creates the secret"
    );
    let file = secret.file.as_ref().unwrap();
    assert_eq!(file.name.as_deref(), Some("db_password"));
    assert_eq!(
        (file.uid.as_deref(), file.gid.as_deref(), file.mode),
        (Some("0"), Some("0"), Some(0o444))
    );
    let mount = &container.mounts.as_ref().unwrap()[0];
    assert_eq!(mount.typ, Some(MountType::VOLUME));
    assert_eq!(mount.source.as_deref(), Some("voting_db-data"));
    assert_eq!(mount.target.as_deref(), Some("/var/lib/postgresql/data"));
    let labels = mount
        .volume_options
        .as_ref()
        .unwrap()
        .labels
        .as_ref()
        .unwrap();
    assert_eq!(labels[NAMESPACE_LABEL], "voting");
    // The secret itself carries the content and the namespace label.
    let spec = plan
        .secrets
        .iter()
        .find(|s| s.name.as_deref() == Some(secret_name.as_str()))
        .unwrap();
    let data = base64::engine::general_purpose::STANDARD
        .decode(spec.data.as_ref().unwrap())
        .unwrap();
    assert_eq!(data, password);
    assert_eq!(spec.labels.as_ref().unwrap()[NAMESPACE_LABEL], "voting");
}

#[test]
fn the_ingress_publishes_in_host_mode_with_both_configs() {
    let (_stack, plan) = real_plan();
    let ingress = &plan.services["ingress"];
    let ports = ingress
        .endpoint_spec
        .as_ref()
        .unwrap()
        .ports
        .as_ref()
        .unwrap();
    let published: Vec<_> = ports
        .iter()
        .map(|p| (p.published_port, p.target_port, p.publish_mode))
        .collect();
    let host = Some(EndpointPortConfigPublishModeEnum::HOST);
    assert_eq!(
        published,
        [(Some(80), Some(80), host), (Some(443), Some(443), host)]
    );
    let container = ingress
        .task_template
        .as_ref()
        .unwrap()
        .container_spec
        .as_ref()
        .unwrap();
    assert_eq!(container.hosts.as_deref().unwrap(), ["10.99.0.5 pebble"]);
    let targets: Vec<_> = container
        .configs
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.file.as_ref().unwrap().name.clone().unwrap())
        .collect();
    assert_eq!(targets.len(), 2);
    assert!(
        targets.contains(&"/etc/caddy/acme-ca.pem".to_owned()),
        "{targets:?}"
    );
    assert_eq!(plan.configs.len(), 2);
    assert!(
        plan.configs
            .iter()
            .all(|c| c.labels.as_ref().unwrap()[NAMESPACE_LABEL] == "voting")
    );
}

#[test]
fn networks_are_overlays_named_by_the_stack() {
    let (_stack, plan) = real_plan();
    let names: Vec<&str> = plan.networks.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "voting_backend",
            "voting_edge",
            "voting_frontend",
            "monitoring"
        ]
    );
    for network in &plan.networks {
        assert_eq!(network.driver.as_deref(), Some(DEFAULT_DRIVER));
        assert_eq!(network.labels.as_ref().unwrap()[NAMESPACE_LABEL], "voting");
    }
    let monitoring = &plan.networks[3];
    assert_eq!(
        monitoring.attachable,
        Some(true),
        "the monitoring stack's exporters join it"
    );
    for app in ["vote", "worker", "result"] {
        let labels = plan.services[app].labels.as_ref().unwrap();
        assert_eq!(labels["prometheus.job"], app);
        assert_eq!(labels["prometheus.port"], "8080");
    }
}

#[test]
fn the_monitoring_stack_uses_the_app_network_and_renders_alertmanager_by_template() {
    let stack = RealStack::monitoring(true);
    let plan = plan(&load(&stack.source).unwrap(), "monitoring").unwrap();
    let networks: Vec<&str> = plan.networks.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        networks,
        ["monitoring_default"],
        "monitoring and the app's networks are external; node-exporter names none"
    );
    let config = |prefix: &str| {
        plan.configs
            .iter()
            .find(|c| c.name.as_deref().unwrap().starts_with(prefix))
            .unwrap()
    };
    let driver = config("monitoring-alertmanager-")
        .templating
        .as_ref()
        .unwrap();
    assert_eq!(driver.name, "golang");
    let prometheus = config("monitoring-prometheus-");
    assert_eq!(prometheus.templating, None);
    let password = std::fs::read(stack.password_file()).unwrap();
    assert_eq!(
        plan.secrets[0].name.as_deref(),
        Some(format!("db_password_{}", content_hash(&password)).as_str()),
        "the app's own secret, by the same name"
    );
    let replicas = |service: &str| {
        plan.services[service]
            .mode
            .as_ref()
            .and_then(|m| m.replicated.as_ref())
            .and_then(|r| r.replicas)
    };
    assert_eq!(replicas("grafana"), Some(0), "no Grafana image on the lab");
    assert_eq!(replicas("prometheus"), Some(1));
}

#[test]
fn a_plan_is_the_same_each_time() {
    let (_stack, first) = real_plan();
    let (_stack, second) = real_plan();
    assert_eq!(first.services, second.services);
    assert_eq!(
        format!("{:?}", first.networks),
        format!("{:?}", second.networks)
    );
}

#[test]
fn stack_names_docker_cannot_use_are_refused() {
    let file = StackFile::default();
    for name in ["", "_x", "a b", "a/b"] {
        assert!(
            matches!(plan(&file, name), Err(Error::BadNamespace { .. })),
            "{name:?}"
        );
    }
    assert!(plan(&file, "voting-2.lab_x").is_ok());
}

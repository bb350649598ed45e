//! Deploy scenarios, in the order a stack lives through them. Each checks
//! the report against Swarm's own state, read separately.

use std::collections::BTreeMap;

use bollard::models::{Service, TaskState};
use muelle::swarm::{self, Outcome, api, apply};
use muelle::ui::progress::Progress;

use crate::stack::{Stack, follow};

/// The secret's first and second content.
const TOKEN: &str = "first token";
const NEW_TOKEN: &str = "second token";

async fn inspect(stack: &Stack, service: &str) -> Service {
    api::service(&stack.docker, &stack.full(service))
        .await
        .expect("inspecting a service")
        .expect("the service exists")
}

/// The images of the tasks Swarm keeps running and that run.
async fn running_images(stack: &Stack, service: &str) -> Vec<String> {
    let id = inspect(stack, service).await.id.unwrap_or_default();
    let tasks = api::tasks(&stack.docker, &id, service)
        .await
        .expect("tasks");
    let mut images: Vec<String> = tasks
        .into_iter()
        .filter(|t| t.desired_state == Some(TaskState::RUNNING))
        .filter(|t| t.status.as_ref().and_then(|s| s.state) == Some(TaskState::RUNNING))
        .filter_map(|t| t.spec?.container_spec?.image)
        .collect();
    images.sort();
    images
}

fn version_of(service: &Service) -> u64 {
    service.version.as_ref().and_then(|v| v.index).unwrap_or(0)
}

pub async fn create_converges_and_verifies(stack: &Stack) {
    let plan = stack.plan(&stack.images.v1, "v1", TOKEN);
    let report = swarm::deploy(&stack.docker, &plan, &[], &follow(), &Progress::new())
        .await
        .expect("the first deploy");
    let probe = &report.services[0];
    assert_eq!(probe.outcome, Outcome::Created, "{report}");
    assert_eq!((probe.running, probe.desired), (2, 2), "{report}");
    assert_eq!(probe.serving, std::slice::from_ref(&stack.images.v1));
    assert_eq!(
        running_images(stack, "probe").await,
        [stack.images.v1.clone(), stack.images.v1.clone()]
    );
    assert!(report.succeeded());
    assert!(
        report
            .to_string()
            .starts_with("probe  created    2/2  127.0.0.1:5000/probe@sha256:"),
        "{report}"
    );
}

pub async fn an_unchanged_redeploy_rolls_nothing(stack: &Stack) {
    let before = inspect(stack, "probe").await;
    let plan = stack.plan(&stack.images.v1, "v1", TOKEN);
    let report = swarm::deploy(&stack.docker, &plan, &[], &follow(), &Progress::new())
        .await
        .expect("the same deploy again");
    assert_eq!(report.services[0].outcome, Outcome::Unchanged, "{report}");
    let after = inspect(stack, "probe").await;
    assert_eq!(
        version_of(&before),
        version_of(&after),
        "an unchanged deploy wrote the spec"
    );
    assert!(report.removed.is_empty(), "{report}");
}

pub async fn a_new_digest_rolls_out(stack: &Stack) {
    let plan = stack.plan(&stack.images.v2, "v2", TOKEN);
    let report = swarm::deploy(
        &stack.docker,
        &plan,
        &["probe".into()],
        &follow(),
        &Progress::new(),
    )
    .await
    .expect("deploying v2");
    let probe = &report.services[0];
    assert_eq!(probe.outcome, Outcome::Converged, "{report}");
    assert_eq!((probe.running, probe.desired), (2, 2), "{report}");
    assert_eq!(
        probe.serving,
        std::slice::from_ref(&stack.images.v2),
        "{report}"
    );
    assert_eq!(
        running_images(stack, "probe").await,
        [stack.images.v2.clone(), stack.images.v2.clone()]
    );
    let state = inspect(stack, "probe")
        .await
        .update_status
        .and_then(|s| s.state);
    assert_eq!(state.map(|s| s.to_string()).as_deref(), Some("completed"));
}

pub async fn a_failing_health_check_is_rolled_back_and_failed(stack: &Stack) {
    let plan = stack.plan(&stack.images.unhealthy, "broken", TOKEN);
    let report = swarm::deploy(&stack.docker, &plan, &[], &follow(), &Progress::new())
        .await
        .expect("deploying an unhealthy image");
    eprint!("{report}");
    assert!(!report.succeeded(), "{report}");
    let probe = &report.services[0];
    let Outcome::Failed { state, message } = &probe.outcome else {
        panic!("a rolled back deploy was not FAILED: {report}");
    };
    assert!(state.starts_with("rollback_"), "{report}");
    assert!(!message.is_empty(), "{report}");
    assert_eq!(
        probe.serving,
        std::slice::from_ref(&stack.images.v2),
        "{report}"
    );
    assert_eq!(probe.running, 0, "{report}");
    assert!(report.to_string().contains("FAILED"), "{report}");
    assert_eq!(
        running_images(stack, "probe").await,
        [stack.images.v2.clone(), stack.images.v2.clone()]
    );

    // Deploying what Swarm rolled back to is unchanged, and not failed by
    // the rollback state Swarm still shows.
    let back = stack.plan(&stack.images.v2, "v2", TOKEN);
    let report = swarm::deploy(&stack.docker, &back, &[], &follow(), &Progress::new())
        .await
        .expect("deploying v2 again");
    assert_eq!(report.services[0].outcome, Outcome::Unchanged, "{report}");
}

pub async fn a_stale_version_is_refused(stack: &Stack) {
    let stale = inspect(stack, "probe").await;
    let detach = swarm::FollowOptions {
        detach: true,
        ..follow()
    };
    let theirs = swarm::update_service(
        &stack.docker,
        &stack.full("probe"),
        |spec| {
            spec.labels
                .get_or_insert_default()
                .insert("muelle.test.other".into(), "1".into());
        },
        false,
        &detach,
        &Progress::new(),
    )
    .await
    .expect("another writer's update");
    assert_eq!(theirs.outcome, Outcome::Detached);
    let mut ours = stale.spec.clone().unwrap_or_default();
    ours.labels
        .get_or_insert_default()
        .insert("muelle.test.mine".into(), "1".into());
    let networks = api::network_ids(&stack.docker).await.expect("networks");
    let error = apply::write(
        &stack.docker,
        &stale,
        ours,
        false,
        &networks,
        &Progress::new(),
    )
    .await
    .expect_err("an update on a stale version");
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "another deploy changed {} meanwhile",
            stack.full("probe")
        )),
        "{text}"
    );
    assert!(!error.is_usage());
    let labels = inspect(stack, "probe")
        .await
        .spec
        .and_then(|s| s.labels)
        .unwrap_or_default();
    assert!(labels.contains_key("muelle.test.other") && !labels.contains_key("muelle.test.mine"));
}

pub async fn a_missing_image_fails_early(stack: &Stack) {
    let missing = format!("{}/probe@sha256:{}", crate::node::REGISTRY, "0".repeat(64));
    let services = BTreeMap::from([
        (
            "probe".to_owned(),
            stack.probe("probe", &stack.images.v2, "v2", TOKEN),
        ),
        (
            "ghost".to_owned(),
            stack.probe("ghost", &missing, "ghost", TOKEN),
        ),
    ]);
    let plan = stack.plan_of(services, TOKEN);
    let report = swarm::deploy(
        &stack.docker,
        &plan,
        &["ghost".into()],
        &follow(),
        &Progress::new(),
    )
    .await
    .expect("deploying a service whose image is missing");
    eprint!("{report}");
    let ghost = &report.services[0];
    let Outcome::Failed { state, message } = &ghost.outcome else {
        panic!("a service that cannot pull its image was not FAILED: {report}");
    };
    assert_eq!(state, "rejected", "{report}");
    assert!(message.contains("tasks of the new spec failed"), "{report}");
    assert!(ghost.serving.is_empty(), "{report}");
    stack
        .docker
        .delete_service(&stack.full("ghost"))
        .await
        .expect("removing the ghost service");
}

pub async fn a_changed_secret_moves_and_the_old_one_goes(stack: &Stack) {
    let plan = stack.plan(&stack.images.v2, "v2", NEW_TOKEN);
    let report = swarm::deploy(&stack.docker, &plan, &[], &follow(), &Progress::new())
        .await
        .expect("deploying a new secret");
    assert_eq!(report.services[0].outcome, Outcome::Converged, "{report}");
    let old = stack.secret_name(TOKEN);
    assert_eq!(report.removed, [format!("secret {old}")], "{report}");
    let names: Vec<String> = api::secrets(&stack.docker)
        .await
        .expect("secrets")
        .into_iter()
        .filter_map(|s| s.spec?.name)
        .collect();
    assert!(
        names.contains(&stack.secret_name(NEW_TOKEN)) && !names.contains(&old),
        "{names:?}"
    );
    let spec = inspect(stack, "probe").await.spec.unwrap_or_default();
    let secrets = spec
        .task_template
        .and_then(|t| t.container_spec)
        .and_then(|c| c.secrets);
    let used: Vec<String> = secrets
        .into_iter()
        .flatten()
        .filter_map(|s| s.secret_name)
        .collect();
    assert_eq!(used, [stack.secret_name(NEW_TOKEN)]);
}

pub async fn force_restarts_the_same_version(stack: &Stack) {
    let before = inspect(stack, "probe").await;
    let counter = |s: &Service| {
        s.spec
            .as_ref()
            .and_then(|s| s.task_template.as_ref())
            .and_then(|t| t.force_update)
            .unwrap_or(0)
    };
    let report = swarm::update_service(
        &stack.docker,
        &stack.full("probe"),
        |_| {},
        true,
        &follow(),
        &Progress::new(),
    )
    .await
    .expect("a forced update");
    assert_eq!(report.outcome, Outcome::Converged, "{report:?}");
    assert_eq!(report.serving, std::slice::from_ref(&stack.images.v2));
    assert_eq!(
        counter(&inspect(stack, "probe").await),
        counter(&before) + 1
    );
    // The Engine's own words: the health check survived muelle's update.
    let output = std::process::Command::new("docker")
        .args([
            "service",
            "inspect",
            "--format",
            "{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck.Test}}",
        ])
        .arg(stack.full("probe"))
        .env("DOCKER_HOST", &stack.endpoint)
        .output()
        .expect("docker service inspect");
    let test = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        test.trim(),
        r#"["CMD","test","-f","/healthy"]"#,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

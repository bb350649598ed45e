use std::collections::HashMap;

use bollard::models::{
    NetworkAttachmentConfig, ServiceSpec, TaskSpec, TaskSpecContainerSpec, TaskSpecPlacement,
};
use serde_json::json;

use super::{same_service, same_task};

fn desired() -> ServiceSpec {
    ServiceSpec {
        name: Some("voting_vote".into()),
        labels: Some(HashMap::from([("muelle.version".into(), "sha-1".into())])),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some("registry/vote@sha256:aa".into()),
                env: Some(vec!["A=1".into()]),
                ..Default::default()
            }),
            networks: Some(vec![NetworkAttachmentConfig {
                target: Some("voting_frontend".into()),
                aliases: Some(vec!["vote".into()]),
                ..Default::default()
            }]),
            force_update: Some(0),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The spec as the Engine hands `desired` back: the network by id, its
/// defaults and empty objects written out.
fn as_swarm_returns_it() -> ServiceSpec {
    serde_json::from_value(json!({
        "Name": "voting_vote",
        "Labels": {"muelle.version": "sha-1"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "registry/vote@sha256:aa",
                "Env": ["A=1"],
                "Init": false,
                "Isolation": "default",
                "Privileges": {"CredentialSpec": null, "SELinuxContext": null}
            },
            "Resources": {"Limits": {}, "Reservations": {}},
            "Placement": {},
            "Networks": [{"Target": "n1d", "Aliases": ["vote"]}],
            "ForceUpdate": 0,
            "Runtime": "container"
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "EndpointSpec": {"Mode": "vip"}
    }))
    .expect("a service spec")
}

fn networks() -> HashMap<String, String> {
    HashMap::from([("voting_frontend".to_owned(), "n1d".to_owned())])
}

#[test]
fn what_swarm_fills_in_is_not_a_change() {
    assert!(same_service(
        &desired(),
        &as_swarm_returns_it(),
        &networks()
    ));
}

#[test]
fn a_new_image_an_env_change_or_a_new_replica_count_is_a_change() {
    let current = as_swarm_returns_it();
    let mut image = desired();
    let container = image
        .task_template
        .as_mut()
        .unwrap()
        .container_spec
        .as_mut();
    container.unwrap().image = Some("registry/vote@sha256:bb".into());
    assert!(!same_service(&image, &current, &networks()));

    let mut env = desired();
    let container = env.task_template.as_mut().unwrap().container_spec.as_mut();
    container.unwrap().env = Some(vec!["A=2".into()]);
    assert!(!same_service(&env, &current, &networks()));

    let mut scaled: ServiceSpec =
        serde_json::from_value(json!({"Mode": {"Replicated": {"Replicas": 0}}})).expect("a spec");
    scaled.name = desired().name;
    scaled.task_template = desired().task_template;
    scaled.labels = desired().labels;
    assert!(!same_service(&scaled, &current, &networks()));
}

#[test]
fn a_label_removed_is_a_change() {
    let mut unlabelled = desired();
    unlabelled.labels = None;
    assert!(!same_service(
        &unlabelled,
        &as_swarm_returns_it(),
        &networks()
    ));
}

#[test]
fn a_task_is_up_to_date_whatever_its_old_placement_says() {
    let template = as_swarm_returns_it().task_template.unwrap();
    let mut task = template.clone();
    task.placement = Some(TaskSpecPlacement {
        constraints: Some(vec!["node.role==manager".into()]),
        ..Default::default()
    });
    assert!(same_task(&task, &template));
    task.force_update = Some(1);
    assert!(!same_task(&task, &template));
}

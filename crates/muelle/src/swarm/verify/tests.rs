use bollard::models::{Service, Task};
use serde_json::{Value, json};

use super::check;

const NEW: &str = "registry/vote@sha256:0002";
const OLD: &str = "registry/vote@sha256:0001";

fn service(image: &str, replicas: i64) -> Service {
    serde_json::from_value(json!({
        "ID": "s1",
        "Spec": {
            "Name": "voting_vote",
            "Mode": {"Replicated": {"Replicas": replicas}},
            "TaskTemplate": {"ContainerSpec": {"Image": image}, "ForceUpdate": 1}
        }
    }))
    .expect("a service")
}

fn task(image: &str, desired: &str, state: &str, extra: Value) -> Task {
    let mut task = json!({
        "ID": format!("t-{image}-{state}"),
        "NodeID": "n1",
        "Spec": {"ContainerSpec": {"Image": image}, "ForceUpdate": 1},
        "DesiredState": desired,
        "Status": {"State": state, "Timestamp": "2026-12-01T12:00:00Z"}
    });
    if let (Some(task), Some(extra)) = (task.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            task.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(task).expect("a task")
}

#[test]
fn old_tasks_still_running_fail_the_check_until_they_are_gone() {
    let tasks = [
        task(NEW, "running", "running", json!({})),
        task(OLD, "running", "running", json!({})),
        task(OLD, "shutdown", "running", json!({})),
    ];
    let found = check(&service(NEW, 2), &tasks, NEW);
    assert_eq!((found.running, found.desired), (1, 2));
    assert_eq!(found.stray, [OLD]);
    assert_eq!(found.serving, [OLD, NEW]);
    assert!(!found.passed());
    assert!(
        found
            .summary()
            .contains("still running registry/vote@sha256:0001")
    );

    let done = [
        task(NEW, "running", "running", json!({})),
        task(NEW, "running", "running", json!({})),
        task(OLD, "shutdown", "shutdown", json!({})),
    ];
    assert!(check(&service(NEW, 2), &done, NEW).passed());
}

#[test]
fn tasks_of_an_older_force_counter_are_not_up_to_date() {
    let stale = task(
        NEW,
        "running",
        "running",
        json!({"Spec": {"ContainerSpec": {"Image": NEW}, "ForceUpdate": 0}}),
    );
    let found = check(&service(NEW, 1), &[stale], NEW);
    assert_eq!(found.running, 0);
    assert!(!found.passed());
}

#[test]
fn after_a_rollback_the_old_image_serves_and_nothing_counts() {
    let tasks = [task(OLD, "running", "running", json!({}))];
    let found = check(&service(OLD, 1), &tasks, NEW);
    assert_eq!(found.running, 0);
    assert_eq!(found.serving, [OLD]);
    assert!(!found.passed());
}

#[test]
fn rejected_tasks_of_the_current_spec_are_failures_with_swarms_words() {
    let rejected = |n: u32| {
        task(
            NEW,
            "shutdown",
            "rejected",
            json!({
                "ID": format!("r{n}"),
                "Status": {"State": "rejected", "Err": format!("No such image: {NEW} ({n})"),
                           "Timestamp": format!("2026-12-01T12:00:0{n}Z")}
            }),
        )
    };
    let found = check(&service(NEW, 1), &[rejected(2), rejected(1)], NEW);
    assert_eq!(found.failures.len(), 2);
    assert_eq!(found.failures[1], format!("No such image: {NEW} (2)"));
}

#[test]
fn swarms_own_count_is_the_desired_one() {
    let mut global = service(NEW, 1);
    global.service_status =
        serde_json::from_value(json!({"DesiredTasks": 3, "RunningTasks": 3})).ok();
    let tasks = [task(NEW, "running", "running", json!({}))];
    assert_eq!(check(&global, &tasks, NEW).desired, 3);
}

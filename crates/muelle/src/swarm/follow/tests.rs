use bollard::models::Service;
use serde_json::json;

use super::{Change, Verdict, judge};
use crate::swarm::verify::Check;

const NEW: &str = "registry/vote@sha256:0002";

fn service(state: Option<&str>) -> Service {
    let mut service = json!({
        "Spec": {"Name": "voting_vote", "TaskTemplate": {"ContainerSpec": {"Image": NEW}}}
    });
    if let Some(state) = state {
        service["UpdateStatus"] = json!({"State": state, "Message": format!("swarm says {state}")});
    }
    serde_json::from_value(service).expect("a service")
}

fn check(running: u64) -> Check {
    Check {
        wanted: NEW.into(),
        running,
        desired: 2,
        ..Check::default()
    }
}

fn state_of(verdict: Verdict) -> String {
    match verdict {
        Verdict::Pending(_) => "pending".into(),
        Verdict::Converged => "converged".into(),
        Verdict::Failed { state, .. } => state,
    }
}

#[test]
fn a_rollback_is_a_failure_even_when_swarm_completed_it() {
    for state in ["rollback_completed", "rollback_paused", "paused"] {
        let verdict = judge(Change::Updated, &service(Some(state)), &check(2), None);
        assert_eq!(state_of(verdict), state);
    }
    let rolling_back = judge(
        Change::Updated,
        &service(Some("rollback_started")),
        &check(0),
        None,
    );
    assert_eq!(state_of(rolling_back), "pending");
}

#[test]
fn completed_counts_only_when_the_tasks_agree() {
    let completed = Some("completed");
    assert_eq!(
        state_of(judge(Change::Updated, &service(completed), &check(1), None)),
        "pending"
    );
    assert_eq!(
        state_of(judge(Change::Updated, &service(completed), &check(2), None)),
        "converged"
    );
    assert_eq!(
        state_of(judge(Change::Created, &service(None), &check(2), None)),
        "converged"
    );
    assert_eq!(
        state_of(judge(
            Change::Updated,
            &service(Some("updating")),
            &check(2),
            None
        )),
        "pending"
    );
}

#[test]
fn an_unchanged_service_is_judged_by_its_tasks_not_an_old_rollback() {
    let old_rollback = service(Some("rollback_completed"));
    assert_eq!(
        state_of(judge(Change::Unchanged, &old_rollback, &check(2), None)),
        "converged"
    );
}

#[test]
fn repeated_failures_of_the_new_spec_end_the_wait() {
    let mut failing = check(0);
    failing.failures = vec!["No such image: x".into(); 3];
    let verdict = judge(Change::Created, &service(None), &failing, None);
    let Verdict::Failed { state, message } = verdict else {
        panic!("repeated rejections are a failure");
    };
    assert_eq!(state, "rejected");
    assert!(message.contains("No such image: x"), "{message}");
}

#[test]
fn a_spec_someone_else_changed_is_a_failure() {
    let other: Service = serde_json::from_value(json!({
        "Spec": {"TaskTemplate": {"ContainerSpec": {"Image": "registry/vote@sha256:0003"}}},
        "UpdateStatus": {"State": "completed"}
    }))
    .expect("a service");
    assert_eq!(
        state_of(judge(Change::Updated, &other, &check(0), None)),
        "wrong image"
    );
}

#[test]
fn a_rollback_says_why_swarm_rolled_back_and_what_the_new_tasks_said() {
    let mut rolled_back = check(0);
    rolled_back.wanted_failure =
        Some("task: non-zero exit (137): dockerexec: unhealthy container".into());
    let reason = "update rolled back due to failure or early termination of task t1";
    let verdict = judge(
        Change::Updated,
        &service(Some("rollback_completed")),
        &rolled_back,
        Some(reason),
    );
    let Verdict::Failed { state, message } = verdict else {
        panic!("a rollback is a failure");
    };
    assert_eq!(state, "rollback_completed");
    assert_eq!(
        message,
        "update rolled back due to failure or early termination of task t1; the new tasks said: task: non-zero exit (137): dockerexec: unhealthy container"
    );
}

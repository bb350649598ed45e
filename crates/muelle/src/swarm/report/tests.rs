use super::{DeployReport, Outcome, ServiceReport};

fn service(name: &str, outcome: Outcome, serving: &[&str]) -> ServiceReport {
    ServiceReport {
        service: name.into(),
        wanted: "registry/vote@sha256:abcd1234ef567890".into(),
        version: Some("sha-1a2b3c4".into()),
        outcome,
        running: 2,
        desired: 2,
        serving: serving.iter().map(|s| (*s).to_owned()).collect(),
    }
}

#[test]
fn a_converged_service_is_one_line_with_count_digest_and_version() {
    let report = DeployReport::from(service("vote", Outcome::Converged, &[]));
    assert_eq!(
        report.to_string(),
        "vote  converged  2/2  registry/vote@sha256:abcd1234…  (sha-1a2b3c4)\n"
    );
    assert!(report.succeeded());
}

#[test]
fn a_failed_service_says_what_swarm_said_and_what_serves() {
    let failed = Outcome::Failed {
        state: "rollback_completed".into(),
        message: "update rolled back due to failure or early termination of task x".into(),
    };
    let report = DeployReport {
        services: vec![
            service("result", Outcome::Unchanged, &[]),
            service("vote", failed, &["registry/vote@sha256:0011223344556677"]),
        ],
        removed: vec!["secret db_password_1".into()],
    };
    assert_eq!(
        report.to_string(),
        "result  unchanged  2/2  registry/vote@sha256:abcd1234…  (sha-1a2b3c4)\n\
         vote    FAILED     rollback_completed: \"update rolled back due to failure or early termination of task x\"  serving: registry/vote@sha256:00112233…\n\
         removed unused secret db_password_1\n"
    );
    assert!(!report.succeeded());
}

#[test]
fn json_names_the_outcome_and_its_details() {
    let failed = Outcome::Failed {
        state: "paused".into(),
        message: "update paused".into(),
    };
    let json = serde_json::to_value(DeployReport::from(service("vote", failed, &[]))).unwrap();
    assert_eq!(json["services"][0]["outcome"]["result"], "failed");
    assert_eq!(json["services"][0]["outcome"]["state"], "paused");
    assert_eq!(json["services"][0]["running"], 2);
    assert!(json.get("removed").is_none());
}

//! The voting app end to end through muelle: up, a vote on the published
//! vote port seen on the result port, reset, a single-service target, ps,
//! logs and down. One scenario, so the app's images are built once.

use std::time::Duration;

use crate::common::{Cleanup, Test, eventually, free_port, http, project_name, repo};

fn counts(port: u16) -> Option<String> {
    http(port, "GET /api/results", &[], "")
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
}

fn vote(port: u16, choice: &str, voter: &str) -> Option<u16> {
    let cookie = format!("Cookie: voter_id={voter}");
    let headers = [
        "Content-Type: application/x-www-form-urlencoded",
        cookie.as_str(),
    ];
    http(port, "POST /", &headers, &format!("vote={choice}")).map(|(status, _)| status)
}

#[test]
fn up_vote_result_reset_single_service_and_down() {
    let project = project_name("app");
    let _cleanup = Cleanup::new(&project);
    let (vote_port, result_port) = (free_port(), free_port());
    let muelle = |args: &[&str]| {
        Test::new(&repo(), &project)
            .env("VOTE_PORT", vote_port.to_string())
            .env("RESULT_PORT", result_port.to_string())
            .args(args)
    };

    let urls = muelle(&["up"]).success();
    assert!(
        urls.contains(&format!("vote     http://localhost:{vote_port}")),
        "{urls}"
    );
    assert!(
        urls.contains(&format!("result   http://localhost:{result_port}")),
        "{urls}"
    );

    let status = vote(vote_port, "a", "0123abcd").expect("vote answers");
    assert!((200..400).contains(&status), "vote answered {status}");
    eventually(
        "the vote on the result port",
        Duration::from_secs(30),
        || counts(result_port).filter(|c| c.contains("\"a\":1")),
    );

    let ps = muelle(&["ps"]).success();
    for service in ["vote", "worker", "result", "redis", "db"] {
        assert!(ps.contains(&format!("{project}-{service}-1")), "{ps}");
    }

    muelle(&["reset", "--yes"]).success();
    eventually("the votes to be gone", Duration::from_secs(30), || {
        counts(result_port).filter(|c| !c.contains("\"a\":1"))
    });

    muelle(&["down", "vote"]).success();
    assert!(
        http(vote_port, "GET /", &[], "").is_none(),
        "vote still answers"
    );
    let ps = muelle(&["ps"]).success();
    assert!(
        !ps.contains(&format!("{project}-vote-1")) && ps.contains(&format!("{project}-db-1")),
        "{ps}"
    );
    let urls = muelle(&["up", "vote"]).success();
    assert_eq!(
        urls.trim(),
        format!("vote     http://localhost:{vote_port}")
    );
    assert!(vote(vote_port, "b", "4567cdef").is_some_and(|s| (200..400).contains(&s)));
    eventually("the second vote", Duration::from_secs(30), || {
        counts(result_port).filter(|c| c.contains("\"b\":1"))
    });

    let logs = muelle(&["logs", "worker", "--tail", "50"]).success();
    assert!(!logs.trim().is_empty(), "the worker logged nothing");

    muelle(&["down"]).success();
    let ps = muelle(&["ps"]).output();
    assert!(
        String::from_utf8_lossy(&ps.stderr).contains("no containers"),
        "{ps:?}"
    );
    let volumes = std::process::Command::new("docker")
        .args([
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("label=com.docker.compose.project={project}"),
        ])
        .output()
        .unwrap();
    let volumes = String::from_utf8_lossy(&volumes.stdout);
    assert!(
        volumes.contains(&format!("{project}_db-data")),
        "down removed the data volume: {volumes}"
    );
}

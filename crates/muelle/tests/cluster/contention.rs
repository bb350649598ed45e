//! Two `muelle deploy` runs of one change at once: the deploy lock lets one
//! through and refuses the other with who holds it; the one that ran
//! converged, the lock is gone afterwards, and the stack is as asked.

use std::process::Stdio;

use testkit::Lab;

use crate::app::{self, muelle_ok, texts};

/// Scaling worker is a change every service sees quickly.
const SCALED: &str = "3";

pub fn two_concurrent_deploys_one_refused(lab: &Lab) {
    let deploy = || {
        lab.muelle(&["deploy", "--env", "lab"])
            .env("WORKER_REPLICAS", SCALED)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start muelle deploy")
    };
    let (first, second) = (deploy(), deploy());
    let outputs = [first, second].map(|child| child.wait_with_output().expect("muelle deploy"));
    let succeeded: Vec<_> = outputs.iter().filter(|o| o.status.success()).collect();
    let refused: Vec<_> = outputs.iter().filter(|o| !o.status.success()).collect();
    assert_eq!(
        (succeeded.len(), refused.len()),
        (1, 1),
        "{:?}",
        outputs.iter().map(texts).collect::<Vec<_>>()
    );
    let (_, stderr) = texts(refused[0]);
    let line = stderr.lines().last().unwrap_or_default();
    assert!(
        line.starts_with("muelle: a deploy of voting is already running (")
            && line.contains("muelle deploy, pid ")
            && line.ends_with(
                "or remove a stale lock with `docker config rm muelle-deploy-lock-voting`"
            ),
        "{line}"
    );
    assert_eq!(refused[0].status.code(), Some(1), "{line}");
    let locks = lab.docker_ok(&[
        "config",
        "ls",
        "-q",
        "--filter",
        "name=muelle-deploy-lock-voting",
    ]);
    assert!(locks.trim().is_empty(), "the lock was left behind: {locks}");
    let (digest, replicas) = worker_tasks(lab);
    assert_eq!(replicas, 3, "the deploy that ran did not scale worker");

    // The same change again is unchanged; the default scales back.
    let again = lab
        .muelle(&["deploy", "--env", "lab", "worker"])
        .env("WORKER_REPLICAS", SCALED)
        .output()
        .expect("muelle deploy");
    let (stdout, stderr) = texts(&again);
    assert!(again.status.success(), "{stderr}");
    assert!(stdout.contains("unchanged"), "{stdout}");
    muelle_ok(lab, &["deploy", "--env", "lab"]);
    app::wait_for_digest(lab, "worker", &digest, 2);
}

/// The digest every running worker task runs, and how many run.
fn worker_tasks(lab: &Lab) -> (String, usize) {
    let images = app::task_images(lab, "worker");
    let digest = images
        .first()
        .and_then(|i| i.rsplit_once('@'))
        .map(|(_, d)| d.to_owned())
        .expect("worker runs");
    assert!(images.iter().all(|i| i.ends_with(&digest)), "{images:?}");
    (digest, images.len())
}

//! Scenarios on one real lab (`muelle lab up`: a 3-node Swarm of
//! docker-in-docker nodes, a registry and pebble). nextest runs each test
//! function in its own process, so the lab is shared by running every
//! scenario in sequence from one test, `lab_scenarios`: a failing scenario
//! does not stop the others, the test fails at the end naming each one that
//! failed, and the lab is removed when the fixture drops, even on failure
//! (which removes the host's names for what was pushed to it, checked last).
//! A scenario is a `fn(&Lab)` in its own module that panics to fail.

mod app;
mod contention;
mod deploy_app;
mod lab_nodes;
mod lab_pebble;
mod lab_registry;
mod monitoring;
mod node_loss;
mod rolling;
mod secret;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use testkit::Lab;

/// A scenario: its name and what it checks.
type Scenario = (&'static str, fn(&Lab));

/// Every scenario, in the order they run. Scenarios that change the lab
/// (deploy, stop a node) go after those that only read it, and the deploy
/// scenarios build on each other as the life of one stack does.
const SCENARIOS: &[Scenario] = &[
    (
        "lab nodes are ready and labelled, up again changes nothing",
        lab_nodes::ready_labelled_and_idempotent,
    ),
    (
        "a node pulls what the host pushed to the lab registry",
        lab_registry::a_node_pulls_what_the_host_pushed,
    ),
    (
        "pebble's directory answers over verified TLS",
        lab_pebble::directory_answers_over_verified_tls,
    ),
    (
        "deploy from zero, a vote through the HTTPS ingress on the result page",
        deploy_app::deploys_from_zero_and_serves_over_https,
    ),
    (
        "an unknown service and a missing tag are one line",
        deploy_app::bad_input_is_one_line,
    ),
    (
        "update vote under load: no failed request, every vote stored",
        rolling::an_update_under_load_fails_no_request,
    ),
    (
        "an unhealthy image is rolled back and the update FAILED",
        rolling::an_unhealthy_image_is_rolled_back_and_failed,
    ),
    (
        "rollback returns every task to the previous digest",
        rolling::rollback_returns_to_the_previous_digest,
    ),
    (
        "two concurrent deploys: one runs, one is refused",
        contention::two_concurrent_deploys_one_refused,
    ),
    (
        "a changed secret rolls out as a new one, the old one goes",
        secret::a_changed_secret_rolls_out_as_a_new_one,
    ),
    (
        "a stopped worker node: tasks move, no vote lost",
        node_loss::a_stopped_worker_loses_no_vote,
    ),
    (
        "monitoring: Swarm discovery, a scale-up, an alert delivered and resolved",
        monitoring::discovers_scales_and_delivers_an_alert,
    ),
];

/// The repository root, whose muelle.toml and recipes the lab is built from.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

#[test]
fn lab_scenarios() {
    let lab = Lab::start("cluster", &repo());
    eprintln!("lab {} up in {:.0?}", lab.name, lab.up_took);
    let mut failed = Vec::new();
    for (name, scenario) in SCENARIOS {
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| scenario(&lab)));
        let verdict = if outcome.is_ok() { "ok" } else { "FAILED" };
        eprintln!("scenario {name}: {verdict} in {:.1?}", started.elapsed());
        if outcome.is_err() {
            failed.push(*name);
        }
    }
    // `lab down` (the fixture's drop) also removes the host's names for
    // what was pushed to the lab registry.
    let registry = lab.registry();
    drop(lab);
    let left = std::process::Command::new("docker")
        .args(["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .args(["--filter", &format!("reference={registry}/*")])
        .args(["--filter", &format!("reference={registry}/*/*")])
        .output()
        .expect("docker images");
    let left = String::from_utf8_lossy(&left.stdout);
    assert!(failed.is_empty(), "failed scenarios: {}", failed.join("; "));
    assert!(left.trim().is_empty(), "lab down left these names: {left}");
}

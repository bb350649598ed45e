//! vote's life after the first deploy, through the ingress: a new version
//! rolled out while loadgen votes at a steady rate (no request fails, every
//! acknowledged vote is stored), an image whose health check fails (Swarm
//! rolls it back, `muelle update` says FAILED, the old version serves, the
//! history records it), and `muelle rollback` to the version before,
//! checked task by task.

use loadgen::Report;
use serde_json::Value;
use testkit::Lab;

use crate::app::{self, Ingress, muelle, muelle_ok, texts};

/// vote's replicas in deploy/stack.yaml.
const REPLICAS: usize = 2;

/// The digest and tag vote's newest succeeded rollout gave it.
fn serving(lab: &Lab) -> (String, String) {
    let history = app::history(lab);
    let entry = history
        .iter()
        .rev()
        .find(|e| e["outcome"] == "succeeded" && e["services"].get("vote").is_some())
        .expect("a succeeded rollout of vote in the history");
    let vote = &entry["services"]["vote"];
    let text = |key: &str| vote[key].as_str().expect("a string").to_owned();
    (text("digest"), text("tag"))
}

/// `FROM` the image vote serves now, with a label that makes it another digest.
fn relabelled(lab: &Lab, variant: &str) -> String {
    let (digest, _) = serving(lab);
    format!(
        "FROM {}/vote@{digest}\nLABEL muelle.test.variant={variant}\n",
        lab.registry()
    )
}

/// Votes through the ingress at `rate` per second while `during` runs,
/// from `lead` acknowledged votes before it until `lead` after; returns
/// loadgen's report (every acknowledged voter recorded) and what `during`
/// returned.
fn under_load<T>(lab: &Lab, rate: f64, lead: u64, during: impl FnOnce() -> T) -> (Report, T) {
    let voting = app::Voting::start(lab, rate);
    voting.wait_for(lead);
    let outcome = during();
    voting.wait_for(voting.acknowledged() + lead);
    (voting.finish(), outcome)
}

pub fn an_update_under_load_fails_no_request(lab: &Lab) {
    let v2 = app::push_variant(lab, "vote", "v2", &relabelled(lab, "v2"));
    let (report, update) = under_load(lab, 100.0, 200, || {
        muelle(lab, &["update", "vote", "--env", "lab", "--tag", "v2"])
    });
    let (stdout, stderr) = texts(&update);
    assert!(update.status.success(), "{stderr}\n{stdout}");
    assert_eq!(
        report.error_count(),
        0,
        "requests failed during the update: {:?} {:?}",
        report.errors,
        report.error_messages
    );
    assert!(report.acknowledged > 0);
    app::wait_for_digest(lab, "vote", &v2, REPLICAS);
    app::assert_all_stored(lab, &report.acknowledged_voters);
}

pub fn an_unhealthy_image_is_rolled_back_and_failed(lab: &Lab) {
    let (serving_digest, _) = serving(lab);
    // vote's own binary, serving, behind an entry point whose health check
    // always fails.
    let dockerfile = format!(
        "FROM muelle/debian:bookworm\n\
         COPY --from={}/vote@{serving_digest} /usr/local/bin/app /usr/local/bin/vote\n\
         RUN printf '#!/bin/sh\\n[ \"$1\" = --healthcheck ] && exit 1\\nexec /usr/local/bin/vote \"$@\"\\n' \
         > /usr/local/bin/app && chmod +x /usr/local/bin/app\n\
         ENTRYPOINT [\"/usr/local/bin/app\"]\n",
        lab.registry()
    );
    let unhealthy = app::push_variant(lab, "vote", "unhealthy", &dockerfile);
    let output = muelle(
        lab,
        &["update", "vote", "--env", "lab", "--tag", "unhealthy"],
    );
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}\n{stdout}");
    assert!(stdout.contains("FAILED"), "{stdout}");
    // Progress lines come first; the error is the last line.
    let line = stderr.lines().last().unwrap_or_default();
    assert!(
        line.starts_with("muelle: update of voting") && line.contains("vote: rollback_"),
        "{line}"
    );
    assert!(
        line.contains(&format!("serving {}/vote@{serving_digest}", lab.registry())),
        "{line}"
    );
    app::wait_for_digest(lab, "vote", &serving_digest, REPLICAS);
    let last = app::history(lab).pop().expect("a history entry");
    assert_eq!(last["command"], "update", "{last}");
    assert_eq!(last["outcome"], "failed", "{last}");
    assert_eq!(last["services"]["vote"]["digest"], unhealthy.as_str());
    app::block_on(async {
        let (status, _) = Ingress::of(lab).get("/").await.expect("GET /");
        assert_eq!(status, 200, "the old version stopped serving");
    });
}

pub fn rollback_returns_to_the_previous_digest(lab: &Lab) {
    let history = app::history(lab);
    let (now, _) = serving(lab);
    let earlier: Vec<&Value> = history
        .iter()
        .filter(|e| e["outcome"] == "succeeded")
        .filter_map(|e| e["services"].get("vote"))
        .filter(|v| v["digest"] != now.as_str())
        .collect();
    let previous = earlier
        .last()
        .and_then(|v| v["digest"].as_str())
        .expect("an earlier version of vote")
        .to_owned();
    let stdout = muelle_ok(lab, &["rollback", "vote", "--env", "lab"]);
    assert!(stdout.contains("rollback #"), "{stdout}");
    let images = app::task_images(lab, "vote");
    assert_eq!(images.len(), REPLICAS, "{images:?}");
    for image in &images {
        assert_eq!(
            image,
            &format!("{}/vote@{previous}", lab.registry()),
            "a task runs another digest after the rollback"
        );
    }
    let last = app::history(lab).pop().expect("a history entry");
    assert_eq!(last["command"], "rollback", "{last}");
    assert_eq!(last["outcome"], "succeeded", "{last}");
}

//! Push plans compared as text: tags per service from the registry's
//! tags, labels, `--no-latest`, the log and `--prune`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use time::OffsetDateTime;

use super::*;

fn commit() -> Commit {
    Commit {
        sha: "0123456789abcdef0123456789abcdef01234567".into(),
        short: "0123456".into(),
        subject: "Add a thing".into(),
        time: 1_795_000_000,
    }
}

fn destination(environment: &str) -> Destination {
    Destination {
        environment: environment.into(),
        registry: "127.0.0.1:5000".into(),
        prefix: "team/dev_".into(),
    }
}

fn stamp() -> Stamp {
    Stamp(OffsetDateTime::from_unix_timestamp(1_795_615_387).unwrap())
}

fn services() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("vote".to_owned(), "voting/vote:local".to_owned()),
        ("worker".to_owned(), "voting/worker:local".to_owned()),
    ])
}

#[test]
fn each_service_counts_its_own_date_tags() {
    let existing = BTreeMap::from([(
        "vote".to_owned(),
        vec!["20261125".to_owned(), "latest".to_owned()],
    )]);
    let plan = plan(PlanInput {
        destination: &destination("dev"),
        services: &services(),
        existing: &existing,
        commit: &commit(),
        dirty: false,
        created: stamp(),
        source: Some("https://example.com/src"),
        latest: true,
        log: None,
        prune: false,
    });
    assert_eq!(
        plan.to_string(),
        "\
build vote as voting/vote:local with created=2026-11-18T11:06:40Z revision=0123456789abcdef0123456789abcdef01234567 source=https://example.com/src version=0123456
push 127.0.0.1:5000/team/dev_vote: 20261125-2 0123456 latest
build worker as voting/worker:local with created=2026-11-18T11:06:40Z revision=0123456789abcdef0123456789abcdef01234567 source=https://example.com/src version=0123456
push 127.0.0.1:5000/team/dev_worker: 20261125 0123456 latest
"
    );
}

#[test]
fn a_dirty_prod_push_without_latest_is_logged_and_pruned() {
    let plan = plan(PlanInput {
        destination: &destination("prod"),
        services: &BTreeMap::from([("vote".to_owned(), "voting/vote:local".to_owned())]),
        existing: &BTreeMap::new(),
        commit: &commit(),
        dirty: true,
        created: stamp(),
        source: None,
        latest: false,
        log: Some(PathBuf::from("releases/log.jsonl")),
        prune: true,
    });
    assert_eq!(
        plan.to_string(),
        "\
build vote as voting/vote:local with created=2026-11-18T11:06:40Z revision=0123456789abcdef0123456789abcdef01234567 version=0123456-dirty
push 127.0.0.1:5000/team/dev_vote: 20261125 0123456-dirty
log vote 20261125 in releases/log.jsonl
untag 127.0.0.1:5000/team/dev_vote: 20261125 0123456-dirty
"
    );
    let pushed = Pushed {
        service: "vote".into(),
        digest: "sha256:abc".into(),
    };
    let release = Release {
        commit: &commit(),
        dirty: true,
        message: "hotfix",
        time: stamp(),
        pushed_by: "Jane <jane@example.com>",
    };
    assert_eq!(
        entry(&plan, &plan.images[0], &pushed, &release).line(),
        r#"{"service":"vote","environment":"prod","registry":"127.0.0.1:5000","repository":"team/dev_vote","tag":"20261125","tags":["20261125","0123456-dirty"],"digest":"sha256:abc","commit":"0123456789abcdef0123456789abcdef01234567","dirty":true,"message":"hotfix","time":"2026-11-25T14:03:07Z","pushed_by":"Jane <jane@example.com>"}"#
    );
}

#[test]
fn the_labels_come_from_the_commit_never_from_the_push() {
    let push_at = |seconds: i64, existing: &BTreeMap<String, Vec<String>>| {
        plan(PlanInput {
            destination: &destination("dev"),
            services: &services(),
            existing,
            commit: &commit(),
            dirty: false,
            created: Stamp(OffsetDateTime::from_unix_timestamp(seconds).unwrap()),
            source: None,
            latest: true,
            log: None,
            prune: false,
        })
    };
    let first = push_at(1_795_615_387, &BTreeMap::new());
    let again = push_at(
        1_795_615_387 + 3 * 86_400,
        &BTreeMap::from([("vote".to_owned(), vec!["20261125".to_owned()])]),
    );
    assert_eq!(first.images[0].version, "20261125");
    assert_eq!(again.images[0].version, "20261128");
    assert_eq!(first.images[0].labels, again.images[0].labels);
    assert_eq!(
        first.images[0].labels[version::CREATED],
        "2026-11-18T11:06:40Z"
    );
}

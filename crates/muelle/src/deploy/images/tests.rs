//! Images pinned against a real registry (testkit's Debian
//! `docker-registry`), the stack's image variables, and the labels a spec gets.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use bollard::models::{ServiceSpec, TaskSpec, TaskSpecContainerSpec};
use sha2::{Digest, Sha256};

use super::*;
use crate::engine::Endpoint;
use crate::project::Selection;

fn target(registry: &str) -> Target {
    Target {
        name: "prod".into(),
        endpoint: Endpoint::Unix("/var/run/docker.sock".into()),
        registry: registry.into(),
        repository: "team/".into(),
        stack_files: Vec::new(),
        variables: BTreeMap::new(),
        history: crate::deploy::history::History::at("unused.jsonl".into()),
    }
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Uploads a blob the two-step way every registry takes.
async fn upload_blob(http: &reqwest::Client, host: &str, repository: &str, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let started = http
        .post(format!("http://{host}/v2/{repository}/blobs/uploads/"))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202, "start an upload");
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let location = if location.starts_with("http") {
        location
    } else {
        format!("http://{host}{location}")
    };
    let separator = if location.contains('?') { '&' } else { '?' };
    let done = http
        .put(format!("{location}{separator}digest={digest}"))
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 201, "finish an upload");
    digest
}

/// Pushes a one-layer image by hand under `tag`; its manifest digest.
async fn push_image(host: &str, repository: &str, tag: &str, revision: &str) -> String {
    let http = reqwest::Client::new();
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Labels":{{"org.opencontainers.image.revision":"{revision}"}}}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
    );
    let layer = format!("layer of {revision}");
    let config_digest = upload_blob(&http, host, repository, config.as_bytes()).await;
    let layer_digest = upload_blob(&http, host, repository, layer.as_bytes()).await;
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{},"digest":"{config_digest}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":{},"digest":"{layer_digest}"}}]}}"#,
        config.len(),
        layer.len()
    );
    let put = http
        .put(format!("http://{host}/v2/{repository}/manifests/{tag}"))
        .header(
            "content-type",
            "application/vnd.docker.distribution.manifest.v2+json",
        )
        .body(manifest.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.status(),
        201,
        "{}",
        put.text().await.unwrap_or_default()
    );
    sha256(manifest.as_bytes())
}

#[tokio::test]
async fn a_tag_is_pinned_by_the_digest_the_registry_has_and_a_missing_one_says_push() {
    let live = testkit::Registry::start().await;
    let host = live.host();
    let target = target(&host);
    let first = push_image(&host, "team/vote", "0123456", "a").await;
    let second = push_image(&host, "team/vote", "89abcde", "b").await;
    assert_ne!(first, second);
    let mut registry = Registry::new(&host, None, String::new()).unwrap();

    let pinned = pin(&mut registry, &target, "vote", "0123456")
        .await
        .unwrap();
    assert_eq!(pinned.image, format!("{host}/team/vote@{first}"));
    assert_eq!(
        (pinned.tag.as_str(), pinned.digest.as_str()),
        ("0123456", first.as_str())
    );
    let pinned = pin(&mut registry, &target, "vote", "89abcde")
        .await
        .unwrap();
    assert_eq!(pinned.digest, second);

    let err = pin(&mut registry, &target, "vote", "fedcba9")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "vote: tag fedcba9 is not in {host}/team/vote: push it first (`muelle push --env prod`)"
        )
    );
    assert_eq!(err.code(), crate::error::EXIT_USAGE);
    let err = pin(&mut registry, &target, "result", "0123456")
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("result: tag 0123456 is not in"),
        "{err}"
    );
}

#[test]
fn a_digest_from_the_command_line_must_be_one() {
    let target = target("r.example.com");
    let digest = format!("sha256:{}", "a".repeat(64));
    let pinned = by_digest(&target, "vote", &digest, "t").unwrap();
    assert_eq!(pinned.image, format!("r.example.com/team/vote@{digest}"));
    for bad in ["sha256:abc", "a".repeat(64).as_str(), "sha256:zz"] {
        let err = by_digest(&target, "vote", bad, "t").unwrap_err();
        assert!(err.to_string().starts_with("--digest "), "{err}");
    }
}

#[test]
fn a_pinned_image_goes_into_the_spec_with_its_version_labels() {
    let pinned = Pinned {
        service: "vote".into(),
        image: "r/vote@sha256:new".into(),
        tag: "89abcde".into(),
        digest: "sha256:new".into(),
        commit: Some("89abcdef".into()),
    };
    let mut spec = ServiceSpec {
        labels: Some(HashMap::from([
            (STACK_IMAGE_LABEL.to_owned(), "r/vote@sha256:old".to_owned()),
            (COMMIT_LABEL.to_owned(), "old".to_owned()),
        ])),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some("r/vote@sha256:old".into()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    pinned.apply(&mut spec);
    assert_eq!(deployed_in(&spec), pinned.deployed());
    let labels = spec.labels.as_ref().unwrap();
    assert_eq!(labels[VERSION_LABEL], "89abcde");
    assert_eq!(labels[COMMIT_LABEL], "89abcdef");
    assert_eq!(labels[STACK_IMAGE_LABEL], "r/vote@sha256:new");
    let unknown = Pinned {
        commit: None,
        ..pinned
    };
    unknown.label(&mut spec);
    assert!(!spec.labels.unwrap().contains_key(COMMIT_LABEL));
}

#[test]
fn the_release_log_and_history_know_commits_and_tags() {
    let target = target("r");
    let releases = vec![release_log::Entry {
        service: "vote".into(),
        environment: "prod".into(),
        registry: "r".into(),
        repository: "team/vote".into(),
        tag: "20261201".into(),
        tags: vec!["20261201".into(), "0123456".into()],
        digest: "sha256:a".into(),
        commit: "0123456full".into(),
        dirty: false,
        message: "m".into(),
        time: "t".into(),
        pushed_by: "p".into(),
    }];
    let history = vec![history::Entry {
        id: 1,
        time: "t".into(),
        user: "u".into(),
        commit: "89abcdefull".into(),
        command: history::Command::Deploy,
        services: BTreeMap::from([(
            "vote".to_owned(),
            Deployed {
                image: "r/team/vote@sha256:b".into(),
                tag: "89abcde".into(),
                digest: "sha256:b".into(),
            },
        )]),
        outcome: history::Outcome::Succeeded,
        summary: String::new(),
    }];
    let known = Known {
        releases: &releases,
        history: &history,
    };
    assert_eq!(
        known.commit(&target, "vote", "0123456").as_deref(),
        Some("0123456full")
    );
    assert_eq!(
        known.commit(&target, "vote", "89abcde").as_deref(),
        Some("89abcdefull")
    );
    assert_eq!(known.commit(&target, "vote", "nope"), None);
    assert_eq!(known.commit(&target, "result", "0123456"), None);
    assert_eq!(
        known.tag(&target, "vote", "sha256:a").as_deref(),
        Some("20261201")
    );
    assert_eq!(
        known.tag(&target, "vote", "sha256:b").as_deref(),
        Some("89abcde")
    );
    assert_eq!(known.tag(&target, "vote", "sha256:c"), None);
}

fn project(dir: &Path, stack: &[(&str, &str)]) -> Project {
    std::fs::write(
        dir.join("muelle.toml"),
        "[project]\nname = \"voting\"\ncompose = \"compose.yaml\"\n\n[services.vote]\npackage = \"vote\"\n\n[services.worker]\npackage = \"worker\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  vote:\n    image: v\n  worker:\n    image: w\n",
    )
    .unwrap();
    for (name, text) in stack {
        std::fs::write(dir.join(name), text).unwrap();
    }
    Project::load(&Selection::default(), dir).unwrap()
}

#[test]
fn the_stack_names_each_app_image_by_one_variable_the_last_file_winning() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(
        dir.path(),
        &[
            (
                "stack.yaml",
                "services:\n  vote:\n    image: ${VOTE_IMAGE:?set it}\n  worker:\n    image: ${WORKER_IMAGE}\n  redis:\n    image: ${REDIS_IMAGE:-redis:7}\n",
            ),
            (
                "stack.lab.yaml",
                "services:\n  worker:\n    image: ${LAB_WORKER}\n  ingress:\n    environment: {}\n",
            ),
        ],
    );
    let files = [
        dir.path().join("stack.yaml"),
        dir.path().join("stack.lab.yaml"),
    ];
    let stack = StackImages::read(&project, &files).unwrap();
    assert_eq!(stack.services, ["ingress", "redis", "vote", "worker"]);
    assert_eq!(
        stack.variables,
        BTreeMap::from([
            ("vote".to_owned(), "VOTE_IMAGE".to_owned()),
            ("worker".to_owned(), "LAB_WORKER".to_owned())
        ])
    );
    assert_eq!(stack.select(&[]).unwrap(), Vec::<String>::new());
    assert_eq!(
        stack
            .select(&["vote".into(), "redis".into(), "vote".into()])
            .unwrap(),
        ["vote", "redis"]
    );
    let err = stack.select(&["vot".into()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown service `vot`: the stack has ingress, redis, vote, worker"
    );
}

#[test]
fn a_stack_muelle_cannot_pin_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(
        dir.path(),
        &[
            (
                "literal.yaml",
                "services:\n  vote:\n    image: team/vote:latest\n",
            ),
            ("none.yaml", "services:\n  redis:\n    image: redis\n"),
            ("bad.yaml", "services: [\n"),
        ],
    );
    let read = |name: &str| {
        StackImages::read(&project, &[dir.path().join(name)])
            .unwrap_err()
            .to_string()
    };
    assert!(
        read("literal.yaml").ends_with(
            "literal.yaml: services.vote.image is \"team/vote:latest\": write `image: ${VOTE_IMAGE}` so muelle can pin the pushed digest"
        ),
        "{}",
        read("literal.yaml")
    );
    assert!(read("none.yaml").contains("has none of the manifest's [services] (vote, worker)"));
    assert!(
        read("bad.yaml").contains("bad.yaml: "),
        "{}",
        read("bad.yaml")
    );
    let missing = read("absent.yaml");
    assert!(
        missing.starts_with("no stack file ") && missing.contains("absent.yaml: write it"),
        "{missing}"
    );
}

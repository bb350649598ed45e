//! `muelle build`, `push` and `releases` against a real registry: the OCI
//! labels (from the commit, so one commit pushed twice is one digest), the
//! date tag and its `-N`, the sha and `latest` tags, `--prune`,
//! the refusal of a dirty prod push, the release log, `releases`
//! checking the log against the registry, and the date tag after the
//! highest one was deleted (never reused for prod, reused for dev). One
//! scenario, one registry, so the fixture is compiled once.

use std::process::Command;

use crate::common::{Cleanup, Test, project_name};
use crate::registries::{LiveRegistry, git, git_project, today};

/// `<service> <registry>/<repository>:<tag> <digest>` → (reference, tag, digest).
fn pushed(stdout: &str) -> (String, String, String) {
    let line = stdout.lines().next().expect("a pushed line");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields.len(), 3, "{stdout}");
    let tag = fields[1].rsplit(':').next().unwrap().to_owned();
    (fields[1].to_owned(), tag, fields[2].to_owned())
}

fn docker_image_id(reference: &str) -> String {
    let output = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", reference])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Seconds since the epoch as RFC 3339 in UTC, as `date -u` says it.
fn utc(seconds: &str) -> String {
    let output = Command::new("date")
        .args(["-u", "-d", &format!("@{seconds}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn local_image_exists(reference: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", reference])
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn build_push_dev_and_prod_log_and_list_releases() {
    let registry = LiveRegistry::start(None);
    let host = registry.host();
    let fixture = git_project(&host);
    let dir = fixture.path();
    let project = project_name("push");
    let image = format!("muelle-test/{project}:local");
    let _cleanup = Cleanup::new(&project)
        .image(&image)
        .images_under(&format!("{host}/"));
    let docker_config = tempfile::tempdir().unwrap();
    let muelle = |args: &[&str]| {
        Test::new(dir, &project)
            .env("HELLO_IMAGE", &image)
            .env("DOCKER_CONFIG", docker_config.path())
            .args(args)
    };
    let sha = git(dir, &["rev-parse", "HEAD"]);
    let short = git(dir, &["rev-parse", "--short", "HEAD"]);
    let commit_time = utc(&git(dir, &["log", "-1", "--format=%ct"]));

    // build: the local image carries the OCI labels.
    let built = muelle(&["build"]).success();
    assert_eq!(built.trim(), format!("hello    {image}"));
    let inspect = Command::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            "{{json .Config.Labels}}",
            &image,
        ])
        .output()
        .unwrap();
    let labels: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    let built_id = docker_image_id(&image);
    assert_eq!(labels["org.opencontainers.image.revision"], sha.as_str());
    assert_eq!(labels["org.opencontainers.image.version"], short.as_str());
    assert_eq!(
        labels["org.opencontainers.image.source"],
        "https://example.com/hello"
    );
    assert_eq!(
        labels["org.opencontainers.image.created"],
        commit_time.as_str()
    );

    // dev: the date tag, the sha and latest, with the labels in the registry.
    let date = today();
    let (reference, first_tag, first_digest) = pushed(&muelle(&["push", "--env", "dev"]).success());
    assert_eq!(reference, format!("{host}/team/dev_hello:{first_tag}"));
    assert!(first_tag == date || first_tag == today(), "{first_tag}");
    let mut expected = vec![first_tag.clone(), short.clone(), "latest".to_owned()];
    expected.sort();
    assert_eq!(registry.tags("team/dev_hello"), expected);
    let labels = registry.labels("team/dev_hello", &first_tag);
    assert_eq!(labels["org.opencontainers.image.revision"], sha.as_str());
    assert_eq!(labels["org.opencontainers.image.version"], short.as_str());
    assert_eq!(
        labels["org.opencontainers.image.source"],
        "https://example.com/hello"
    );
    assert_eq!(
        labels["org.opencontainers.image.created"],
        commit_time.as_str()
    );
    assert_eq!(
        registry.manifest("team/dev_hello", "latest").1,
        first_digest
    );
    assert!(
        local_image_exists(&reference),
        "the pushed tag is kept without --prune"
    );
    assert_eq!(
        docker_image_id(&reference),
        built_id,
        "the push rebuilt what `muelle build` had built from the same commit"
    );

    // dev again: -2, the same image (one commit, one digest: nothing in it
    // is the push's), latest stays, and --prune removes the local names.
    let (reference, second_tag, second_digest) =
        pushed(&muelle(&["push", "--env", "dev", "--no-latest", "--prune"]).success());
    assert_eq!(second_tag, format!("{first_tag}-2"));
    assert_eq!(second_digest, first_digest, "one commit pushed twice");
    assert!(registry.tags("team/dev_hello").contains(&second_tag));
    assert_eq!(
        registry.manifest("team/dev_hello", &second_tag).1,
        second_digest
    );
    assert_eq!(
        registry.manifest("team/dev_hello", "latest").1,
        first_digest
    );
    assert!(!local_image_exists(&reference), "--prune left {reference}");
    let log = dir.join("releases/log.jsonl");
    assert!(!log.exists(), "a dev push wrote the release log");

    // prod refuses a dirty work tree, before anything is pushed.
    let main = dir.join("src/main.rs");
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, source.replace("hello v1", "hello v2")).unwrap();
    let line = muelle(&["push", "--env", "prod", "-m", "x"]).failure(2);
    assert_eq!(
        line,
        "muelle: the work tree has uncommitted changes (src/main.rs): commit them, or pass --allow-dirty to push to prod anyway"
    );
    assert!(registry.tags("team/hello").is_empty() && !log.exists());
    git(dir, &["checkout", "src/main.rs"]);

    // prod: the release is logged with the digest the registry has.
    let (_, prod_tag, prod_digest) =
        pushed(&muelle(&["push", "--env", "prod", "--message", "first release"]).success());
    assert_eq!(registry.manifest("team/hello", &prod_tag).1, prod_digest);
    let first_line = std::fs::read_to_string(&log).unwrap();
    let entry: serde_json::Value = serde_json::from_str(first_line.trim()).unwrap();
    assert_eq!(entry["service"], "hello");
    assert_eq!(entry["environment"], "prod");
    assert_eq!(entry["registry"], host.as_str());
    assert_eq!(entry["repository"], "team/hello");
    assert_eq!(entry["tag"], prod_tag.as_str());
    assert_eq!(
        entry["tags"],
        serde_json::json!([prod_tag, short, "latest"])
    );
    assert_eq!(entry["digest"], prod_digest.as_str());
    assert_eq!(entry["commit"], sha.as_str());
    assert_eq!(entry["dirty"], false);
    assert_eq!(entry["message"], "first release");
    assert_eq!(entry["pushed_by"], "Test User <test@example.com>");
    assert!(entry["time"].as_str().unwrap().ends_with('Z'));

    // prod again with no terminal and no --message: the commit's subject.
    // The log itself changed, and does not count as a dirty tree.
    let output = muelle(&["push", "--env", "prod"]).output();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the commit's subject (pass --message to give one)"),
        "{stderr}"
    );
    let (_, second_prod_tag, second_prod_digest) = pushed(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(second_prod_tag, format!("{prod_tag}-2"));
    assert_eq!(second_prod_digest, prod_digest, "one commit pushed twice");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.starts_with(&first_line),
        "the first entry was rewritten"
    );
    assert_eq!(text.lines().count(), 2);
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .contains("\"message\":\"hello: the first version\"")
    );

    // releases: both present; after their manifest is deleted, both missing.
    let listed = muelle(&["releases"]).success();
    let rows: Vec<&str> = listed.lines().collect();
    assert_eq!(rows.len(), 3, "{listed}");
    assert!(rows[0].starts_with("SERVICE  TAG"), "{listed}");
    for (row, tag, message) in [
        (rows[1], &prod_tag, "first release"),
        (rows[2], &second_prod_tag, "hello: the first version"),
    ] {
        let start = format!("hello    {tag} ");
        assert!(row.starts_with(&start), "{listed}");
        assert!(
            row.contains(" present ") && row.ends_with(message),
            "{listed}"
        );
        assert!(row.contains(&short[..7]), "{listed}");
    }
    registry.delete("team/hello", &prod_digest);
    let listed = muelle(&["releases", "hello"]).success();
    let rows: Vec<&str> = listed.lines().collect();
    assert!(rows[1].contains(" missing "), "{listed}");
    assert!(rows[2].contains(" missing "), "{listed}");
    let unchecked = muelle(&["releases", "--no-check"]).success();
    assert_eq!(unchecked.matches(" unchecked ").count(), 2, "{unchecked}");

    // With the registry holding no tag of the day, the next release still
    // counts past the log.
    assert!(registry.tags("team/hello").is_empty());
    let (_, third_prod_tag, _) =
        pushed(&muelle(&["push", "--env", "prod", "-m", "after a deletion"]).success());
    assert_eq!(third_prod_tag, format!("{prod_tag}-3"));

    // dev keeps no log: once its tags are deleted, the next push gets the
    // first one again.
    registry.delete("team/dev_hello", &second_digest);
    assert!(registry.tags("team/dev_hello").is_empty());
    let (_, dev_again, _) = pushed(&muelle(&["push", "--env", "dev"]).success());
    assert_eq!(dev_again, first_tag);
}

//! `muelle deploy`, `update` and `rollback` given input they cannot use:
//! one line each, and nothing deployed. An unknown environment, service or
//! version or stack, an engine that does not answer, a tag the registry lacks (a real
//! registry), a stack key Swarm would reject, no lab running, a missing
//! stack file. Deploys to a real swarm are the
//! cluster scenarios' (tests/cluster).

use crate::common::{Test, project_name};
use crate::registries::{LiveRegistry, git, git_project};

/// The `hello` fixture as a git project with a stack of `hello` (pinned by
/// `HELLO_IMAGE`) and `redis`, and environments `dev` (on the registry,
/// the Docker environment's engine) and `far` (an engine nobody serves).
fn stack_project(registry: &str) -> crate::common::Fixture {
    let fixture = git_project(registry);
    let dir = fixture.path();
    std::fs::create_dir_all(dir.join("deploy")).unwrap();
    std::fs::write(
        dir.join("deploy/stack.yaml"),
        "services:\n  hello:\n    image: ${HELLO_IMAGE:?set HELLO_IMAGE}\n  redis:\n    image: ${REDIS_IMAGE:-redis:7}\n",
    )
    .unwrap();
    let manifest = dir.join("muelle.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str(&format!(
        "\n[environments.far]\nregistry = \"{registry}\"\nrepository = \"\"\nendpoint = \"tcp://127.0.0.1:1\"\n"
    ));
    std::fs::write(&manifest, text).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "hello: a stack"]);
    fixture
}

#[test]
fn bad_environments_services_versions_and_engines_are_one_line() {
    let registry = LiveRegistry::start(None);
    let fixture = stack_project(&registry.host());
    let dir = fixture.path();
    let project = project_name("deployerr");
    // Without DOCKER_HOST, so that the manifest's endpoint counts.
    let muelle = |args: &[&str]| Test::new(dir, &project).env("DOCKER_HOST", "").args(args);
    // With the Docker environment the tests run in.
    let here = |args: &[&str]| Test::new(dir, &project).args(args);

    assert_eq!(
        muelle(&["deploy", "--env", "stage"]).failure(2),
        "muelle: unknown environment `stage`: choose dev, far, prod (muelle.toml's [environments]) or lab (`muelle lab up`)"
    );
    assert_eq!(
        muelle(&["deploy", "--env", "dev", "--stack", "monitoring"]).failure(2),
        "muelle: unknown stack `monitoring`: muelle.toml declares no [stacks.<name>] besides the app's [stack]"
    );
    // Another stack builds no image, so it takes no tag (clap's usage error).
    let both = muelle(&["deploy", "--env", "dev", "--stack", "x", "--tag", "v1"]).output();
    let (_, stderr) = crate::common::texts(&both);
    assert_eq!(both.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("'--stack <NAME>' cannot be used with '--tag <TAG>'"),
        "{stderr}"
    );
    let unknown = "muelle: unknown service `nope`: the stack has hello, redis";
    assert_eq!(
        muelle(&["deploy", "--env", "dev", "nope"]).failure(2),
        unknown
    );
    assert_eq!(
        muelle(&["update", "nope", "--env", "dev", "--force"]).failure(2),
        unknown
    );
    assert_eq!(
        muelle(&["rollback", "nope", "--env", "dev"]).failure(2),
        unknown
    );
    assert_eq!(
        muelle(&["update", "redis", "--env", "dev", "--tag", "x"]).failure(2),
        "muelle: unknown service `redis`: muelle builds hello"
    );
    // clap's own error, exit 2.
    let output = muelle(&["update", "hello", "--env", "dev"]).output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("<--tag <TAG>|--digest <DIGEST>|--force>"),
        "{stderr}"
    );
    let line = muelle(&["update", "hello", "--env", "dev", "--digest", "sha256:12"]).failure(2);
    assert!(
        line.starts_with("muelle: --digest \"sha256:12\": give sha256:"),
        "{line}"
    );

    let history = dir.join(".muelle/deploys/dev.jsonl");
    assert_eq!(
        muelle(&["rollback", "hello", "--env", "dev"]).failure(2),
        format!(
            "muelle: no earlier version of hello in the deploy history of dev ({}): nothing to roll back to",
            history.display()
        )
    );
    assert_eq!(
        muelle(&["rollback", "hello", "--env", "dev", "--to", "3"]).failure(2),
        format!(
            "muelle: --to 3: no deploy of hello in the history of dev has that id, tag or digest (see {})",
            history.display()
        )
    );
    assert!(!history.exists(), "a refused rollback wrote the history");

    // The engine is tried before anything else that needs the cluster.
    let line = muelle(&["deploy", "--env", "far"]).failure(1);
    assert!(
        line.starts_with(
            "muelle: cannot reach the Docker engine of environment far at tcp://127.0.0.1:1: "
        ),
        "{line}"
    );
    // DOCKER_HOST overrides the manifest's endpoint.
    let line = Test::new(dir, &project)
        .env("DOCKER_HOST", "tcp://127.0.0.1:2")
        .args(&["deploy", "--env", "far"])
        .failure(1);
    assert!(
        line.contains("of environment far at tcp://127.0.0.1:2: "),
        "{line}"
    );

    // A tag the registry does not have, the current commit's or one given.
    let short = git(dir, &["rev-parse", "--short", "HEAD"]);
    assert_eq!(
        here(&["deploy", "--env", "dev"]).failure(2),
        format!(
            "muelle: hello: tag {short} is not in {}/team/dev_hello: push it first (`muelle push --env dev`)",
            registry.host()
        )
    );
    assert_eq!(
        here(&["update", "hello", "--env", "dev", "--tag", "20261201"]).failure(2),
        format!(
            "muelle: hello: tag 20261201 is not in {}/team/dev_hello: push it first (`muelle push --env dev`)",
            registry.host()
        )
    );

    // A key Swarm would reject is found before the cluster is asked: the
    // environment's engine does not answer, yet the stack is what is named.
    let stack = dir.join("deploy/stack.yaml");
    let good = std::fs::read_to_string(&stack).unwrap();
    std::fs::write(
        &stack,
        good.replace(
            "  redis:\n",
            "    deploy:\n      mode: global\n      replicas: 2\n  redis:\n",
        ),
    )
    .unwrap();
    assert_eq!(
        muelle(&["deploy", "--env", "far"]).failure(2),
        format!(
            "muelle: {}:6: services.hello.deploy.replicas: a global service runs one task per node and takes no replicas",
            stack.display()
        )
    );
    std::fs::write(&stack, good).unwrap();

    // The lab environment with no lab running.
    let state = tempfile::tempdir().unwrap();
    assert_eq!(
        here(&["deploy", "--env", "lab"])
            .env("MUELLE_LAB", "muelle-test-absent")
            .env("MUELLE_LAB_STATE", state.path())
            .failure(2),
        "muelle: no lab `muelle-test-absent` is running: start one with `muelle lab up`"
    );

    std::fs::remove_file(dir.join("deploy/stack.yaml")).unwrap();
    let line = here(&["deploy", "--env", "dev"]).failure(2);
    assert!(
        line.starts_with("muelle: no stack file ") && line.ends_with(
            "deploy/stack.yaml: write it, or name the stack files in muelle.toml's [stack] files"
        ),
        "{line}"
    );
}

//! Which Docker Engine the commands talk to: the current context of a
//! temporary `DOCKER_CONFIG`, `DOCKER_CONTEXT`, and the one line when the
//! chosen engine is not there.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::common::{Test, free_port, project_name, repo};

/// A Docker configuration whose current context is `name`, on `host`.
fn config_with_context(name: &str, host: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let id = hex::encode(Sha256::digest(name.as_bytes()));
    let meta = dir.path().join("contexts/meta").join(id);
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        format!(r#"{{"Name":"{name}","Endpoints":{{"docker":{{"Host":"{host}"}}}}}}"#),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        format!(r#"{{"currentContext":"{name}"}}"#),
    )
    .unwrap();
    dir
}

/// `muelle` with `config` as `DOCKER_CONFIG` and no `DOCKER_HOST`.
fn muelle_with(config: &Path) -> Test {
    Test::new(&repo(), &project_name("ctx"))
        .env("DOCKER_CONFIG", config)
        .env("DOCKER_HOST", "")
}

#[test]
fn the_current_context_is_the_engine_used() {
    let config = config_with_context("here", "unix:///var/run/docker.sock");
    muelle_with(config.path()).args(&["ps"]).success();

    let port = free_port();
    let away = config_with_context("away", &format!("tcp://127.0.0.1:{port}"));
    let line = muelle_with(away.path()).args(&["ps"]).failure(1);
    assert!(
        line.starts_with(&format!(
            "muelle: cannot reach Docker at tcp://127.0.0.1:{port}: "
        )),
        "{line}"
    );
}

#[test]
fn an_unknown_docker_context_is_a_usage_error() {
    let config = config_with_context("here", "unix:///var/run/docker.sock");
    let line = muelle_with(config.path())
        .env("DOCKER_CONTEXT", "gone")
        .args(&["ps"])
        .failure(2);
    assert_eq!(
        line,
        format!(
            "muelle: no Docker context `gone` in {}: `docker context ls` lists them, `docker context use` picks one",
            config.path().display()
        )
    );
}

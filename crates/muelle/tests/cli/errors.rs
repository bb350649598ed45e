//! Error paths: one line that says what to do, a non-zero exit, no panic.

use std::net::TcpListener;

use crate::common::{Cleanup, Test, hello_project, project_name, repo};

#[test]
fn an_unknown_target_lists_the_known_ones() {
    let line = Test::new(&repo(), &project_name("e"))
        .args(&["up", "vot"])
        .failure(2);
    assert_eq!(
        line,
        "muelle: unknown target `vot`: choose one of all, backend, frontend, db, redis, result, vote, worker"
    );
}

#[test]
fn a_bad_manifest_names_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("muelle.toml"),
        "[project]\nname = \"x\"\n\n[build]\nprofil = \"release\"\n",
    )
    .unwrap();
    let line = Test::new(dir.path(), &project_name("e"))
        .args(&["ps"])
        .failure(2);
    assert!(
        line.contains("muelle.toml: line 5: unknown field `profil`"),
        "{line}"
    );
}

#[test]
fn no_manifest_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let line = Test::new(dir.path(), &project_name("e"))
        .args(&["up"])
        .failure(2);
    assert!(line.contains("no muelle.toml in"), "{line}");
}

#[test]
fn docker_not_running_says_to_start_it() {
    let line = Test::new(&repo(), &project_name("e"))
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args(&["ps"])
        .failure(1);
    assert!(
        line.contains("cannot reach Docker at unix:///nonexistent/docker.sock"),
        "{line}"
    );
    assert!(line.contains("start the Docker daemon"), "{line}");
}

#[test]
fn reset_without_a_terminal_or_yes_refuses() {
    let line = Test::new(&repo(), &project_name("e"))
        .args(&["reset"])
        .failure(2);
    assert!(line.contains("pass --yes"), "{line}");
}

#[test]
fn an_image_that_cannot_be_pulled_is_named() {
    let dir = hello_project();
    let project = project_name("img");
    let _cleanup = Cleanup::new(&project);
    let line = Test::new(dir.path(), &project)
        .args(&["up", "missing"])
        .failure(1);
    assert!(
        line.contains("image muelle-test/does-not-exist:1 is not here and cannot be pulled"),
        "{line}"
    );
    assert!(line.contains("build or load it"), "{line}");
}

#[test]
fn a_port_in_use_is_named_with_its_service() {
    let dir = hello_project();
    let project = project_name("port");
    let _cleanup = Cleanup::new(&project).image(&format!("muelle-test/{project}:local"));
    let taken = TcpListener::bind(("0.0.0.0", 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let line = Test::new(dir.path(), &project)
        .env("HELLO_PORT", port.to_string())
        .env("HELLO_IMAGE", format!("muelle-test/{project}:local"))
        .args(&["up", "hello"])
        .failure(1);
    assert!(
        line.contains(&format!(
            "port {port} for hello is already in use: stop what listens there, or set HELLO_PORT to a free port"
        )),
        "{line}"
    );
}

#[test]
fn a_command_with_an_open_quote_names_the_file_and_key() {
    let dir = hello_project();
    let compose = dir.path().join("compose.yaml");
    let text = std::fs::read_to_string(&compose).unwrap();
    let broken = text.replace(
        "    command: [\"sleep\", \"infinity\"]",
        "    command: sh -c \"sleep infinity",
    );
    assert_ne!(broken, text, "the fixture's standin command moved");
    std::fs::write(&compose, broken).unwrap();
    let project = project_name("quote");
    let _cleanup = Cleanup::new(&project);
    let line = Test::new(dir.path(), &project)
        .args(&["up", "standin"])
        .failure(2);
    assert_eq!(
        line,
        format!(
            "muelle: {}: services.standin.command: \"sh -c \\\"sleep infinity\" has an unterminated quote or a trailing backslash",
            compose.display()
        )
    );
}

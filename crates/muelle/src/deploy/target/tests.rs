//! Environments resolved from a manifest: the declared endpoint, DOCKER_HOST
//! over it, TLS from the Docker environment, unknown names, and the lab.

use std::path::Path;

use super::*;
use crate::project::Selection;

const MANIFEST: &str = r#"
[project]
name = "voting"
compose = "compose.yaml"

[stack]
files = ["deploy/stack.yaml"]
lab_files = ["deploy/stack.lab.yaml"]

[environments.prod]
registry = "registry.example.com"
repository = "team/"
endpoint = "tcp://manager1.example.com:2376"
variables = { INGRESS_DOMAIN = "vote.example.com" }

[environments.dev]
registry = "registry.example.com"
repository = "team/dev_"
"#;

fn project(dir: &Path) -> Project {
    std::fs::write(dir.join("muelle.toml"), MANIFEST).unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  vote:\n    image: v\n",
    )
    .unwrap();
    Project::load(&Selection::default(), dir).unwrap()
}

fn docker(host: Option<&str>) -> DockerEnvironment {
    DockerEnvironment {
        host: host.map(str::to_owned),
        context: None,
        tls_verify: false,
        cert_path: None,
        config_dir: "/nonexistent/docker-config".into(),
    }
}

#[test]
fn a_declared_environment_gives_its_endpoint_registry_files_and_variables() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path());
    let target = declared(&project, "prod", &docker(None)).unwrap();
    assert_eq!(target.name, "prod");
    assert_eq!(
        target.endpoint.to_string(),
        "tcp://manager1.example.com:2376"
    );
    assert_eq!(
        target.endpoint,
        Endpoint::Tcp {
            address: "manager1.example.com:2376".into(),
            tls: None
        }
    );
    assert_eq!(target.registry, "registry.example.com");
    assert_eq!(target.image_name("vote"), "registry.example.com/team/vote");
    assert_eq!(target.stack_files, [dir.path().join("deploy/stack.yaml")]);
    assert_eq!(target.variables["INGRESS_DOMAIN"], "vote.example.com");
    assert_eq!(target.destination().repository("vote"), "team/vote");
}

#[test]
fn tls_for_a_declared_tcp_endpoint_comes_from_the_docker_environment() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path());
    let mut env = docker(None);
    env.tls_verify = true;
    env.cert_path = Some("/certs".into());
    let target = declared(&project, "prod", &env).unwrap();
    assert_eq!(
        target.endpoint,
        Endpoint::Tcp {
            address: "manager1.example.com:2376".into(),
            tls: Some(TlsFiles::in_dir(Path::new("/certs")))
        }
    );
}

#[test]
fn docker_host_overrides_the_declared_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path());
    let target = declared(&project, "prod", &docker(Some("ssh://deploy@other:2222"))).unwrap();
    assert_eq!(target.endpoint.to_string(), "ssh://deploy@other:2222");
    // Without an endpoint in the manifest, the Docker environment decides.
    let target = declared(&project, "dev", &docker(None)).unwrap();
    assert_eq!(target.endpoint.to_string(), "unix:///var/run/docker.sock");
    let target = declared(&project, "dev", &docker(Some("tcp://127.0.0.1:2375"))).unwrap();
    assert_eq!(target.endpoint.to_string(), "tcp://127.0.0.1:2375");
}

#[test]
fn an_unknown_environment_lists_the_known_ones_and_the_lab() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path());
    let err = declared(&project, "stage", &docker(None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown environment `stage`: choose dev, prod (muelle.toml's [environments]) or lab (`muelle lab up`)"
    );
    assert_eq!(err.code(), crate::error::EXIT_USAGE);
}

#[test]
fn the_lab_gives_its_engine_registry_and_variables_and_adds_the_lab_files() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path());
    let found = Lab {
        endpoint: "tcp://127.0.0.1:41234".into(),
        registry: "127.0.0.1:41235".into(),
        variables: BTreeMap::from([("INGRESS_DOMAIN".to_owned(), "voting.lab.test".to_owned())]),
        state_dir: dir.path().join("state"),
    };
    let target = lab(&project, Some(found), crate::lab::DEFAULT_NAME).unwrap();
    assert_eq!(target.name, "lab");
    assert_eq!(target.endpoint.to_string(), "tcp://127.0.0.1:41234");
    assert_eq!(target.image_name("vote"), "127.0.0.1:41235/vote");
    assert_eq!(
        target.stack_files,
        [
            dir.path().join("deploy/stack.yaml"),
            dir.path().join("deploy/stack.lab.yaml")
        ]
    );
    assert_eq!(target.variables["INGRESS_DOMAIN"], "voting.lab.test");
    assert_eq!(
        target.history.path(),
        dir.path().join("state/deploys.jsonl"),
        "the lab's history goes with the lab, not into the project"
    );
    let err = lab(&project, None, crate::lab::DEFAULT_NAME).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no lab is running: start one with `muelle lab up`"
    );
    let err = lab(&project, None, "other-lab").unwrap_err();
    assert_eq!(
        err.to_string(),
        "no lab `other-lab` is running: start one with `muelle lab up`"
    );
}

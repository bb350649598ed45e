//! Endpoint choice from a temporary Docker configuration, and connections
//! to the real daemon over its socket and over TCP on loopback.

use std::path::Path;

use tokio::net::{TcpListener, UnixStream};

use super::*;

/// A temporary `DOCKER_CONFIG` with no variables set.
fn env_in(dir: &Path) -> Environment {
    Environment {
        config_dir: dir.to_owned(),
        ..Environment::default()
    }
}

/// Writes a context the way `docker context create` does.
fn write_context(config_dir: &Path, name: &str, meta: &str) -> PathBuf {
    let id = hex::encode(Sha256::digest(name.as_bytes()));
    let dir = config_dir.join("contexts/meta").join(&id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("meta.json"), meta).unwrap();
    config_dir.join("contexts/tls").join(id).join("docker")
}

fn docker_meta(name: &str, host: &str) -> String {
    format!(
        r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#
    )
}

#[test]
fn nothing_set_means_the_local_socket() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = Endpoint::resolve(&env_in(dir.path())).unwrap();
    assert_eq!(endpoint, Endpoint::Unix(DEFAULT_SOCKET.into()));
    assert_eq!(endpoint.to_string(), "unix:///var/run/docker.sock");
}

#[test]
fn docker_host_wins_over_any_context() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"currentContext":"lab"}"#,
    )
    .unwrap();
    let env = Environment {
        host: Some("tcp://127.0.0.1:2375".into()),
        context: Some("other".into()),
        ..env_in(dir.path())
    };
    assert_eq!(
        Endpoint::resolve(&env).unwrap(),
        Endpoint::Tcp {
            address: "127.0.0.1:2375".into(),
            tls: None
        }
    );
}

#[test]
fn tls_verify_takes_the_certificates_from_the_cert_path() {
    let dir = tempfile::tempdir().unwrap();
    let env = Environment {
        host: Some("tcp://node1:2376".into()),
        tls_verify: true,
        cert_path: Some("/certs".into()),
        ..env_in(dir.path())
    };
    let Endpoint::Tcp { tls: Some(tls), .. } = Endpoint::resolve(&env).unwrap() else {
        panic!("no TLS");
    };
    assert_eq!(tls, TlsFiles::in_dir(Path::new("/certs")));
    let without_path = Environment {
        cert_path: None,
        ..env
    };
    let Endpoint::Tcp { tls: Some(tls), .. } = Endpoint::resolve(&without_path).unwrap() else {
        panic!("no TLS");
    };
    assert_eq!(tls.ca, dir.path().join("ca.pem"));
}

#[test]
fn the_current_context_gives_its_host_and_tls_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"currentContext":"lab"}"#,
    )
    .unwrap();
    let tls_dir = write_context(
        dir.path(),
        "lab",
        &docker_meta("lab", "tcp://10.0.0.2:2376"),
    );
    std::fs::create_dir_all(&tls_dir).unwrap();
    assert_eq!(
        Endpoint::resolve(&env_in(dir.path())).unwrap(),
        Endpoint::Tcp {
            address: "10.0.0.2:2376".into(),
            tls: Some(TlsFiles::in_dir(&tls_dir)),
        }
    );
}

#[test]
fn docker_context_overrides_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"currentContext":"lab"}"#,
    )
    .unwrap();
    write_context(
        dir.path(),
        "lab",
        &docker_meta("lab", "tcp://10.0.0.2:2376"),
    );
    write_context(
        dir.path(),
        "edge",
        &docker_meta("edge", "ssh://deploy@edge"),
    );
    let env = Environment {
        context: Some("edge".into()),
        ..env_in(dir.path())
    };
    assert_eq!(
        Endpoint::resolve(&env).unwrap(),
        Endpoint::Ssh(Destination {
            user: Some("deploy".into()),
            host: "edge".into(),
            port: None
        })
    );
    let default = Environment {
        context: Some("default".into()),
        ..env_in(dir.path())
    };
    assert_eq!(
        Endpoint::resolve(&default).unwrap(),
        Endpoint::Unix(DEFAULT_SOCKET.into())
    );
}

#[test]
fn an_unknown_context_is_named_with_where_it_was_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    let env = Environment {
        context: Some("gone".into()),
        ..env_in(dir.path())
    };
    let error = Endpoint::resolve(&env).unwrap_err();
    assert!(error.is_configuration());
    assert_eq!(
        error.to_string(),
        format!(
            "no Docker context `gone` in {}: `docker context ls` lists them, `docker context use` picks one",
            dir.path().display()
        )
    );
}

#[test]
fn broken_configuration_is_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), "{not json").unwrap();
    let error = Endpoint::resolve(&env_in(dir.path())).unwrap_err();
    assert!(
        error.to_string().starts_with(&format!(
            "cannot read {}/config.json: ",
            dir.path().display()
        )),
        "{error}"
    );

    let skip = dir.path().join("skip");
    let meta = r#"{"Endpoints":{"docker":{"Host":"tcp://h:2376","SkipTLSVerify":true}}}"#;
    write_context(&skip, "insecure", meta);
    let env = Environment {
        context: Some("insecure".into()),
        ..env_in(&skip)
    };
    assert!(matches!(
        Endpoint::resolve(&env),
        Err(Error::SkipTlsVerify { name }) if name == "insecure"
    ));
}

#[test]
fn only_known_schemes_are_accepted() {
    for host in [
        "npipe:////./pipe/docker_engine",
        "tcp://",
        "localhost:2375",
        "fd://",
    ] {
        let error = Endpoint::parse(host, None).unwrap_err();
        assert!(
            matches!(&error, Error::UnsupportedHost { host: h } if h == host),
            "{host}"
        );
    }
    assert_eq!(
        Endpoint::parse("http://127.0.0.1:2375/", None).unwrap(),
        Endpoint::Tcp {
            address: "127.0.0.1:2375".into(),
            tls: None
        }
    );
}

#[tokio::test]
async fn a_context_naming_the_socket_reaches_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"currentContext":"here"}"#,
    )
    .unwrap();
    let host = format!("unix://{DEFAULT_SOCKET}");
    write_context(dir.path(), "here", &docker_meta("here", &host));
    let endpoint = Endpoint::resolve(&env_in(dir.path())).unwrap();
    let docker = connect(&endpoint).await.unwrap();
    docker.ping().await.unwrap();
}

#[tokio::test]
async fn tcp_on_loopback_reaches_the_daemon() {
    // The daemon listens on its socket only; a loopback listener that
    // forwards each connection to it stands in for `dockerd -H tcp://…`.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let forward = tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                if let Ok(mut unix) = UnixStream::connect(DEFAULT_SOCKET).await {
                    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut unix).await;
                }
            });
        }
    });
    let env = Environment {
        host: Some(format!("tcp://127.0.0.1:{port}")),
        ..Environment::default()
    };
    let docker = connect(&Endpoint::resolve(&env).unwrap()).await.unwrap();
    let version = docker.version().await.unwrap();
    forward.abort();
    assert!(version.api_version.is_some());
}

#[tokio::test]
async fn a_missing_socket_or_tls_file_says_which() {
    let missing = Endpoint::Unix("/nonexistent/docker.sock".into());
    let error = connect(&missing).await.unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("cannot reach Docker at unix:///nonexistent/docker.sock: "),
        "{error}"
    );
    let dir = tempfile::tempdir().unwrap();
    let tls = Endpoint::Tcp {
        address: "127.0.0.1:2376".into(),
        tls: Some(TlsFiles::in_dir(dir.path())),
    };
    let error = connect(&tls).await.unwrap_err();
    assert!(
        matches!(&error, Error::TlsFileMissing { path, .. } if *path == dir.path().join("ca.pem")),
        "{error}"
    );
}

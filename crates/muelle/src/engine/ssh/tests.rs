//! `ssh://` addresses as the docker CLI reads them, and a connection over
//! the bridge to the real daemon, with a stand-in for ssh that runs the
//! remote command (`docker system dial-stdio`) here.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;
use crate::engine::endpoint::{Endpoint, open};

/// What the stand-in for ssh is given for `deploy@node1:2222`.
const ARGS: &str = "-o ConnectTimeout=30 -T -l deploy -p 2222 -- node1 docker system dial-stdio";

#[test]
fn destinations_read_user_host_and_port() {
    let parse = |s: &str| Destination::parse(s);
    assert_eq!(
        parse("deploy@node1:2222"),
        Some(Destination {
            user: Some("deploy".into()),
            host: "node1".into(),
            port: Some(2222),
        })
    );
    assert_eq!(
        parse("[fd00::2]:22").map(|d| (d.host, d.port)),
        Some(("fd00::2".into(), Some(22)))
    );
    for bad in ["", "node1:port", "@node1", "-oProxyCommand=x", "node1/path"] {
        assert_eq!(parse(bad), None, "{bad}");
    }
    let endpoint = Endpoint::parse("ssh://deploy@[fd00::2]:2222", None).unwrap();
    assert_eq!(endpoint.to_string(), "ssh://deploy@[fd00::2]:2222");
}

#[test]
fn ssh_gets_the_docker_clis_arguments() {
    let to = Destination::parse("deploy@node1:2222").unwrap();
    assert_eq!(to.ssh_args().join(" "), ARGS);
    let bare = Destination::parse("node1").unwrap();
    assert_eq!(
        bare.ssh_args().join(" "),
        "-o ConnectTimeout=30 -T -- node1 docker system dial-stdio"
    );
}

#[tokio::test]
async fn the_bridge_reaches_the_daemon_through_dial_stdio() {
    // The stand-in records its arguments, drops ssh's own up to the host,
    // and runs the remote command here, as sshd would on the node.
    let dir = tempfile::tempdir().unwrap();
    let args_file = dir.path().join("args");
    let fake = dir.path().join("ssh");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\nwhile [ \"$1\" != \"--\" ]; do shift; done\nshift 2\nexec \"$@\"\n",
            args_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let endpoint = Endpoint::parse("ssh://deploy@node1:2222", None).unwrap();
    let docker = open(&endpoint, &fake).await.unwrap();
    let version = docker.version().await.unwrap();
    assert!(version.api_version.is_some());
    assert_eq!(std::fs::read_to_string(&args_file).unwrap().trim(), ARGS);
}

#[tokio::test]
async fn an_ssh_that_fails_is_one_line_naming_the_endpoint() {
    let endpoint = Endpoint::parse("ssh://deploy@node1", None).unwrap();
    let error = open(&endpoint, Path::new("/nonexistent/ssh"))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("cannot reach Docker at ssh://deploy@node1: "),
        "{error}"
    );
}

//! `ssh://[user@]host[:port]` the way the docker CLI reaches it: every
//! connection is `ssh … -- host docker system dial-stdio`, so the system's
//! ssh brings its own configuration, agent, keys and known hosts. bollard
//! speaks HTTP to a private local socket whose connections are carried
//! over such an ssh each.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// How long ssh may take to connect, as the docker CLI allows it.
const CONNECT_TIMEOUT_SECS: u32 = 30;

/// Where an `ssh://` endpoint points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The user to log in as; ssh's own choice when absent.
    pub user: Option<String>,
    /// The host name or address.
    pub host: String,
    /// The port; ssh's own choice (22, or the config's) when absent.
    pub port: Option<u16>,
}

impl Destination {
    /// Reads `[user@]host[:port]`, the part after `ssh://`; `None` if it is
    /// not that (a path, an empty host, a bad port).
    pub fn parse(rest: &str) -> Option<Destination> {
        let (user, address) = match rest.rsplit_once('@') {
            Some((user, address)) => (Some(user.to_owned()), address),
            None => (None, rest),
        };
        let (host, port) = match address.strip_prefix('[') {
            // [v6-address] or [v6-address]:port
            Some(bracketed) => match bracketed.split_once(']')? {
                (host, "") => (host, None),
                (host, port) => (host, Some(port.strip_prefix(':')?.parse().ok()?)),
            },
            None => match address.rsplit_once(':') {
                Some((host, port)) => (host, Some(port.parse().ok()?)),
                None => (address, None),
            },
        };
        let bad_host = host.is_empty() || host.contains('/') || host.starts_with('-');
        let bad_user = user
            .as_deref()
            .is_some_and(|u| u.is_empty() || u.starts_with('-'));
        if bad_host || bad_user {
            return None;
        }
        Some(Destination {
            user,
            host: host.to_owned(),
            port,
        })
    }

    /// The arguments the docker CLI gives ssh for this destination.
    pub fn ssh_args(&self) -> Vec<String> {
        let mut args = vec![
            "-o".to_owned(),
            format!("ConnectTimeout={CONNECT_TIMEOUT_SECS}"),
            "-T".to_owned(),
        ];
        if let Some(user) = &self.user {
            args.extend(["-l".to_owned(), user.clone()]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".to_owned(), port.to_string()]);
        }
        args.extend(["--", &self.host, "docker", "system", "dial-stdio"].map(str::to_owned));
        args
    }
}

/// Opens a private socket whose every connection runs `program` with the
/// destination's ssh arguments and carries the bytes both ways; returns
/// the socket's path. The socket and its folder live as long as the async
/// runtime, which for muelle is the command.
pub fn bridge(program: PathBuf, destination: &Destination) -> std::io::Result<PathBuf> {
    let dir = tempfile::Builder::new().prefix("muelle-ssh-").tempdir()?;
    let socket = dir.path().join("docker.sock");
    let listener = UnixListener::bind(&socket)?;
    let args = destination.ssh_args();
    tokio::spawn(async move {
        let _dir = dir;
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(carry(stream, program.clone(), args.clone()));
        }
    });
    Ok(socket)
}

/// One connection: ssh's stdout and stdin are the stream's other end; what
/// ssh says on stderr goes to the log.
async fn carry(mut stream: UnixStream, program: PathBuf, args: Vec<String>) {
    let child = tokio::process::Command::new(&program)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            tracing::warn!(program = %program.display(), error = %e, "cannot run ssh");
            return;
        }
    };
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return;
    };
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            tracing::debug!(ssh = %line, "ssh to the Docker engine");
        }
    });
    let mut remote = tokio::io::join(stdout, stdin);
    let _ = tokio::io::copy_bidirectional(&mut stream, &mut remote).await;
    let _ = child.kill().await;
}

#[cfg(test)]
mod tests;

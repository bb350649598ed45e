//! Clients that misbehave, for tests of a server's connection limits: one
//! that sends its request a byte at a time, one that sends nothing, and the
//! service binary itself, started with a low open files limit if asked, so
//! that its memory can be read from `/proc`.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::{DEFAULT_DEADLINE, eventually, free_port};

/// How often a slow sender sends its next byte: far more often than any
/// timeout under test, so that only a deadline for the whole head stops it.
pub const SLOW_BYTE_INTERVAL: Duration = Duration::from_millis(50);

/// Sends one more byte of a header that never ends every
/// [`SLOW_BYTE_INTERVAL`], and panics unless the server closes the
/// connection within `within`. `stream` should be inside a request head.
pub async fn trickle_until_closed(mut stream: TcpStream, within: Duration) {
    let trickle = async {
        let mut ignored = [0u8; 1024];
        loop {
            tokio::select! {
                read = stream.read(&mut ignored) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
                () = tokio::time::sleep(SLOW_BYTE_INTERVAL) => {
                    if stream.write_all(b"x").await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    tokio::time::timeout(within, trickle)
        .await
        .unwrap_or_else(|_| panic!("a slow sender was still connected after {within:?}"));
}

/// Sends nothing, and panics unless the server closes `stream` within
/// `within`; whatever the server sends first is read and ignored.
pub async fn idle_until_closed(mut stream: TcpStream, within: Duration) {
    let idle = async {
        let mut ignored = [0u8; 1024];
        while matches!(stream.read(&mut ignored).await, Ok(n) if n > 0) {}
    };
    tokio::time::timeout(within, idle)
        .await
        .unwrap_or_else(|_| panic!("an idle connection was still open after {within:?}"));
}

/// A connection to `address` (`host:port`) on which one `GET path` was
/// answered `200` with a `content-length` body and kept alive: what a
/// browser holds between two requests.
pub async fn after_one_request(address: &str, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address)
        .await
        .expect("connecting to the service");
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes())
        .await
        .expect("sending a request");
    let mut read = Vec::new();
    let answered = loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.expect("reading the answer");
        assert!(n > 0, "the connection closed before the answer to {path}");
        read.extend_from_slice(&chunk[..n]);
        let Some(end) = read.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&read[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse().ok())
            .expect("an answer with a content length");
        if read.len() >= end + 4 + length {
            break head;
        }
    };
    assert!(answered.starts_with("http/1.1 200 "), "{path}: {answered}");
    stream
}

/// Waits for every slow or idle client task to see its connection closed
/// in time (each panics otherwise).
pub async fn all_cut_off(clients: Vec<tokio::task::JoinHandle<()>>) {
    for client in clients {
        client.await.expect("every slow client is cut off in time");
    }
}

/// Whether the server has closed `stream`, without waiting.
pub fn is_closed(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.try_read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    }
}

/// A service binary running on a port of its own, killed on drop.
pub struct ServiceProcess {
    /// The running process.
    pub child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl ServiceProcess {
    /// Starts `binary` with `vars` (and `PORT`), its open files limit set
    /// to `open_files` (soft and hard) when given, and waits until it
    /// accepts connections.
    pub async fn start(
        binary: &str,
        vars: &[(&str, &str)],
        open_files: Option<u64>,
    ) -> ServiceProcess {
        let port = free_port();
        let mut command = match open_files {
            // util-linux's prlimit execs the binary: the pid stays its own.
            Some(limit) => {
                let mut command = Command::new("prlimit");
                command.arg(format!("--nofile={limit}:{limit}")).arg(binary);
                command
            }
            None => Command::new(binary),
        };
        command
            .envs(vars.iter().copied())
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if std::env::var_os("TEST_LOG").is_some() {
            command.stderr(Stdio::inherit()).env("RUST_LOG", "debug");
        }
        crate::die_with_test(&mut command);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        eventually("the service to listen", DEFAULT_DEADLINE, || async {
            TcpStream::connect(("127.0.0.1", port)).await.ok().map(drop)
        })
        .await;
        ServiceProcess { child, port }
    }

    /// `http://127.0.0.1:<port>` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// A new connection to the service.
    pub async fn connect(&self) -> TcpStream {
        TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connecting to the service")
    }

    /// Opens `size` connections, each sending the next of `starts` in
    /// turn, then 2 KiB more of a head that never ends (an empty start
    /// sends nothing), and returns them once the service holds at most
    /// `cap` of them open.
    pub async fn crowd(&self, size: usize, starts: &[&str], cap: usize) -> Vec<TcpStream> {
        let padding = "x".repeat(2048);
        let mut crowd = Vec::with_capacity(size);
        for start in starts.iter().cycle().take(size) {
            let mut stream = self.connect().await;
            if !start.is_empty() {
                // The service may have closed it already to make room.
                let _ = stream
                    .write_all(format!("{start}{padding}").as_bytes())
                    .await;
            }
            crowd.push(stream);
        }
        eventually(
            &format!("the service to hold at most {cap} of {size} connections"),
            DEFAULT_DEADLINE,
            || async { (crowd.iter().filter(|s| !is_closed(s)).count() <= cap).then_some(()) },
        )
        .await;
        crowd
    }

    /// The process' resident memory, from `/proc/<pid>/status`.
    pub fn resident_bytes(&self) -> u64 {
        let pid = self.child.id().expect("the service is running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .expect("reading the service's /proc status");
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("a VmRSS line in /proc/<pid>/status");
        kib * 1024
    }
}

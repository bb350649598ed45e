//! Ports for servers that cannot bind port 0 and report it back
//! (redis-server, postgres, the registry), and the check that the server
//! answering on one is our own child.
//!
//! [`free_port`] only says that a port was free a moment ago. Two tests can
//! be given the same one; the second server then fails to bind it while the
//! first answers its readiness probe, and the second test would talk to
//! the first test's server. So every start probes until the server that
//! answers proves to be ours (each kind has its own proof: a process id, a
//! data directory, a response header), and tries another port when a
//! foreign server answers or our child exits.

use std::future::Future;
use std::net::{Ipv4Addr, TcpListener};
use std::time::Duration;

use nix::sys::signal::Signal;
use tokio::time::Instant;

use crate::process::Server;

/// How many ports a start tries. A try fails only when another process
/// takes the port between our choice and the bind, which is rare, so a few
/// are plenty; more would hide a server that never starts.
const PORT_ATTEMPTS: usize = 8;

/// How long one probe may take: a foreign process may accept the
/// connection and never answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long to wait between probes of a server that is still starting.
const PROBE_INTERVAL: Duration = Duration::from_millis(10);

/// A port that was free a moment ago, for servers that cannot bind port 0
/// and report it back. Servers started by this crate check that they got
/// it; see the module's documentation.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding a free loopback port")
}

/// Free ports, one per attempt.
pub(crate) fn free_ports() -> impl Iterator<Item = u16> {
    std::iter::repeat_with(free_port)
}

/// What a probe found on the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Our child answered: it is ready.
    Ours,
    /// Another server of the same kind answered: the port was taken.
    Foreign,
    /// Nothing usable answered (yet).
    Nothing,
}

/// Starts a server with `spawn` on each of `ports` in turn (at most
/// [`PORT_ATTEMPTS`]) until `probe` finds our own child answering on it,
/// within `ready_timeout` per port; returns it and its port. Panics, naming
/// `name`, when no port worked.
pub(crate) async fn start_verified<S, P, F>(
    name: &str,
    ports: impl IntoIterator<Item = u16>,
    ready_timeout: Duration,
    mut spawn: S,
    mut probe: P,
) -> (Server, u16)
where
    S: FnMut(u16) -> Server,
    P: FnMut(u16, u32) -> F,
    F: Future<Output = Answer>,
{
    let mut tried = Vec::new();
    for port in ports.into_iter().take(PORT_ATTEMPTS) {
        tried.push(port);
        let mut server = spawn(port);
        let deadline = Instant::now() + ready_timeout;
        // Until it exits: most likely because the port was taken.
        while let Some(pid) = server.running_pid() {
            let answer = tokio::time::timeout(PROBE_TIMEOUT, probe(port, pid))
                .await
                .unwrap_or(Answer::Nothing);
            match answer {
                Answer::Ours => return (server, port),
                Answer::Foreign => {
                    // Asked, not killed: a postmaster killed outright leaves
                    // its children holding the shared memory of the data
                    // directory, and the start on the next port then fails.
                    server.stop(Signal::SIGTERM).await;
                    break;
                }
                Answer::Nothing if Instant::now() >= deadline => {
                    panic!("{name} on port {port} did not start within {ready_timeout:?}")
                }
                Answer::Nothing => tokio::time::sleep(PROBE_INTERVAL).await,
            }
        }
    }
    panic!("{name} could not start on any of the ports {tried:?}: each was taken or it exited")
}

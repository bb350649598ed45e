//! Starting and stopping server processes that cannot outlive the test.

use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, User};
use tokio::process::{Child, Command};

/// How long a server may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// The user to run servers as: PostgreSQL refuses to run as root, so under
/// root (CI, containers) servers run as the `postgres` system user.
pub(crate) fn server_user() -> Option<User> {
    if !nix::unistd::geteuid().is_root() {
        return None;
    }
    let user = User::from_name("postgres")
        .expect("reading the user database")
        .expect("running tests as root needs the `postgres` user (apt-get install postgresql)");
    Some(user)
}

/// A running server process, killed on drop.
pub(crate) struct Server {
    child: Option<Child>,
    name: &'static str,
}

impl Server {
    /// Starts `command` as the server user (see [`server_user`]), tied to
    /// this process: it gets SIGKILL if the test process dies, and on drop.
    pub(crate) fn spawn(name: &'static str, mut command: Command) -> Server {
        if let Some(user) = server_user() {
            command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
        }
        Server::spawn_as_self(name, command)
    }

    /// Like [`Server::spawn`], as the current user.
    pub(crate) fn spawn_as_self(name: &'static str, mut command: Command) -> Server {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        die_with_test(&mut command);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e} (is it installed?)"));
        Server {
            child: Some(child),
            name,
        }
    }

    /// Its process id while it runs; `None` once it has exited.
    pub(crate) fn running_pid(&mut self) -> Option<u32> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(None) => child.id(),
            _ => None,
        }
    }

    /// Asks the server to stop with `signal` and waits for it to exit.
    pub(crate) async fn stop(&mut self, signal: Signal) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = child.id() {
            let _ = kill(Pid::from_raw(pid as i32), signal);
        }
        if tokio::time::timeout(STOP_TIMEOUT, child.wait())
            .await
            .is_err()
        {
            eprintln!(
                "{} did not stop within {STOP_TIMEOUT:?}; killing it",
                self.name
            );
            let _ = child.kill().await;
        }
    }
}

/// Ties a child process to this one: it is killed when its handle drops,
/// and (through the parent-death signal) when this process dies without
/// unwinding, so a crashed or timed-out test leaves nothing running.
#[allow(unsafe_code)]
pub fn die_with_test(command: &mut Command) {
    command.kill_on_drop(true);
    // SAFETY: prctl(PR_SET_PDEATHSIG) is async-signal-safe and touches no
    // memory of the parent, which is all pre_exec requires.
    unsafe {
        command.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)
        });
    }
}

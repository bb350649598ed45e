//! A private `redis-server` per test.

use std::time::Duration;

use nix::sys::signal::Signal;
use tempfile::TempDir;
use tokio::process::Command;

use crate::port::{Answer, free_ports, start_verified};
use crate::process::{Server, server_user};

/// How long a fresh server may take to answer PING.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// A real Redis server on a free loopback port, with an append-only file that
/// survives [`Redis::restart`].
pub struct Redis {
    // Declared first so that it is killed before its directory is removed.
    server: Server,
    dir: TempDir,
    port: u16,
}

impl Redis {
    /// Starts a fresh, empty server and waits until it answers.
    pub async fn start() -> Redis {
        Redis::start_on(free_ports()).await
    }

    /// Starts on the first of `ports` where our own server answers.
    async fn start_on(ports: impl IntoIterator<Item = u16>) -> Redis {
        let dir = tempfile::Builder::new()
            .prefix("testkit-redis-")
            .tempdir()
            .expect("creating a temporary directory");
        if let Some(user) = server_user() {
            nix::unistd::chown(dir.path(), Some(user.uid), Some(user.gid))
                .expect("handing the data directory to the server user");
        }
        let (server, port) = launch(ports, &dir).await;
        Redis { server, dir, port }
    }

    /// `redis://127.0.0.1:<port>`, for `REDIS_URL`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection for the test's own reads and writes.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .expect("a valid URL")
            .get_multiplexed_async_connection()
            .await
            .expect("connecting to the test Redis")
    }

    /// Stops the server the way `docker stop` does (SIGTERM, so the
    /// append-only file is flushed). Clients see connection errors until
    /// [`Redis::start_again`].
    pub async fn stop(&mut self) {
        self.server.stop(Signal::SIGTERM).await;
    }

    /// Starts the server again on the same port and data.
    pub async fn start_again(&mut self) {
        self.server = launch([self.port], &self.dir).await.0;
    }

    /// Stops and starts the server again.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start_again().await;
    }
}

async fn launch(ports: impl IntoIterator<Item = u16>, dir: &TempDir) -> (Server, u16) {
    let spawn = |port| spawn(port, dir);
    start_verified("redis-server", ports, READY_TIMEOUT, spawn, answer).await
}

/// Whether the Redis answering on `port` is ready and is the process `pid`.
async fn answer(port: u16, pid: u32) -> Answer {
    match process_id(&url(port)).await {
        Some(answered) if answered == pid => Answer::Ours,
        Some(_) => Answer::Foreign,
        None => Answer::Nothing,
    }
}

/// The `process_id` the server at `url` reports once it answers PING
/// (it refuses while it loads its data).
async fn process_id(url: &str) -> Option<u32> {
    let client = redis::Client::open(url).ok()?;
    let mut conn = client.get_multiplexed_async_connection().await.ok()?;
    let _: String = redis::cmd("PING").query_async(&mut conn).await.ok()?;
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut conn)
        .await
        .ok()?;
    info.lines()
        .find_map(|line| line.strip_prefix("process_id:"))
        .and_then(|pid| pid.trim().parse().ok())
}

fn url(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}

fn spawn(port: u16, dir: &TempDir) -> Server {
    let mut command = Command::new("redis-server");
    command
        .arg("--port")
        .arg(port.to_string())
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"])
        .args(["--appendfsync", "everysec", "--protected-mode", "no"])
        .arg("--dir")
        .arg(dir.path());
    Server::spawn("redis-server", command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_start_on_a_port_another_redis_holds_moves_to_another_port() {
        let first = Redis::start().await;
        let mut second = Redis::start_on([first.port()].into_iter().chain(free_ports())).await;
        assert_ne!(second.port(), first.port());
        assert_eq!(process_id(&second.url()).await, second.server.running_pid());
        let mut conn = second.connection().await;
        let _: () = redis::cmd("SET")
            .arg("mine")
            .arg("1")
            .query_async(&mut conn)
            .await
            .unwrap();
        let mut conn = first.connection().await;
        let seen: Option<String> = redis::cmd("GET")
            .arg("mine")
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            seen, None,
            "the second test wrote into the first one's Redis"
        );
    }

    #[tokio::test]
    async fn a_start_on_a_port_held_by_a_silent_listener_moves_to_another_port() {
        let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let taken = holder.local_addr().unwrap().port();
        let mut redis = Redis::start_on([taken].into_iter().chain(free_ports())).await;
        assert_ne!(redis.port(), taken);
        assert_eq!(process_id(&redis.url()).await, redis.server.running_pid());
    }
}

//! A private `redis-server` per test.

use std::time::Duration;

use nix::sys::signal::Signal;
use tempfile::TempDir;
use tokio::process::Command;

use crate::process::{Server, free_port, server_user};

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
        let dir = tempfile::Builder::new()
            .prefix("testkit-redis-")
            .tempdir()
            .expect("creating a temporary directory");
        if let Some(user) = server_user() {
            nix::unistd::chown(dir.path(), Some(user.uid), Some(user.gid))
                .expect("handing the data directory to the server user");
        }
        let port = free_port();
        let server = spawn(port, &dir);
        let redis = Redis { server, dir, port };
        redis.wait_ready().await;
        redis
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
        self.server = spawn(self.port, &self.dir);
        self.wait_ready().await;
    }

    /// Stops and starts the server again.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start_again().await;
    }

    async fn wait_ready(&self) {
        let client = redis::Client::open(self.url()).expect("a valid URL");
        let ready = async {
            loop {
                if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                    let pong: redis::RedisResult<String> =
                        redis::cmd("PING").query_async(&mut conn).await;
                    if pong.is_ok() {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(READY_TIMEOUT, ready)
            .await
            .unwrap_or_else(|_| panic!("redis-server on port {} did not start", self.port));
    }
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

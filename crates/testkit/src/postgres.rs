//! A private PostgreSQL cluster per test.

use std::path::PathBuf;
use std::time::Duration;

use nix::sys::signal::Signal;
use tempfile::TempDir;
use tokio::process::Command;

use crate::port::{Answer, free_ports, start_verified};
use crate::process::{Server, server_user};

/// How long a fresh cluster may take to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// `pg_hba.conf` of [`Postgres::start_requiring_passwords`]: `postgres`
/// stays trusted for the readiness probe and the tests' own queries; every
/// other role needs its password.
const PASSWORDS_HBA: &str = "\
local all postgres trust
host all postgres 127.0.0.1/32 trust
local all all scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
";

/// A real PostgreSQL server on a free loopback port, trusting local
/// connections as `postgres`, with its data in a temporary directory.
pub struct Postgres {
    // Declared first so that it is killed before its directory is removed.
    server: Server,
    dir: TempDir,
    port: u16,
    durable: bool,
}

impl Postgres {
    /// Creates a fresh cluster and waits until it accepts connections.
    /// It skips fsync and synchronous commits, which tests do not need.
    pub async fn start() -> Postgres {
        Postgres::start_with(false).await
    }

    /// Like [`Postgres::start`], but with PostgreSQL's default durability
    /// (fsync, synchronous commit, full page writes), as in production:
    /// benchmarks measure what a real deployment would pay per commit.
    pub async fn start_durable() -> Postgres {
        Postgres::start_with(true).await
    }

    /// Like [`Postgres::start`], but every role other than `postgres` must
    /// log in with its password, for tests of how a service is given one.
    pub async fn start_requiring_passwords() -> Postgres {
        Postgres::start_on(free_ports(), false, true).await
    }

    async fn start_with(durable: bool) -> Postgres {
        Postgres::start_on(free_ports(), durable, false).await
    }

    /// Starts on the first of `ports` where our own server answers.
    async fn start_on(
        ports: impl IntoIterator<Item = u16>,
        durable: bool,
        passwords: bool,
    ) -> Postgres {
        let dir = tempfile::Builder::new()
            .prefix("testkit-postgres-")
            .tempdir()
            .expect("creating a temporary directory");
        if let Some(user) = server_user() {
            nix::unistd::chown(dir.path(), Some(user.uid), Some(user.gid))
                .expect("handing the data directory to the server user");
        }
        init_cluster(&dir).await;
        if passwords {
            std::fs::write(data_dir(&dir).join("pg_hba.conf"), PASSWORDS_HBA)
                .expect("writing pg_hba.conf");
        }
        let (server, port) = launch(ports, &dir, durable).await;
        Postgres {
            server,
            dir,
            port,
            durable,
        }
    }

    /// A URL for `DATABASE_URL`, to the `postgres` database.
    pub fn url(&self) -> String {
        self.url_as("postgres")
    }

    /// Like [`Postgres::url`] but as `role`, for tests of what a service
    /// does with fewer rights (local connections are trusted, so any
    /// password does, unless started with
    /// [`Postgres::start_requiring_passwords`]; the password is `role`).
    pub fn url_as(&self, role: &str) -> String {
        format!("postgres://{role}:{role}@127.0.0.1:{}/postgres", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection for the test's own queries; its driver runs in the background.
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url(), tokio_postgres::NoTls)
            .await
            .expect("connecting to the test PostgreSQL");
        tokio::spawn(connection);
        client
    }

    /// Stops the server with a fast shutdown, as `docker stop` does.
    pub async fn stop(&mut self) {
        self.server.stop(Signal::SIGINT).await;
    }

    /// Starts the server again on the same port and data.
    pub async fn start_again(&mut self) {
        self.server = launch([self.port], &self.dir, self.durable).await.0;
    }

    /// Stops and starts the server again.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start_again().await;
    }
}

async fn launch(
    ports: impl IntoIterator<Item = u16>,
    dir: &TempDir,
    durable: bool,
) -> (Server, u16) {
    let name = cluster_name(dir);
    let spawn = |port| spawn(port, dir, durable);
    let probe = |port, _pid| answer(port, name.clone());
    start_verified("postgres", ports, READY_TIMEOUT, spawn, probe).await
}

/// A name no other test's cluster has (its directory's), set as
/// `cluster_name` so that a probe can tell our server from another.
fn cluster_name(dir: &TempDir) -> String {
    let name = dir.path().file_name().unwrap_or_default();
    name.to_string_lossy().into_owned()
}

/// Whether the server answering on `port` is ready and is the cluster
/// `name`.
async fn answer(port: u16, name: String) -> Answer {
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let Ok((client, connection)) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await
    else {
        return Answer::Nothing;
    };
    let driver = tokio::spawn(connection);
    let answered = client.query_one("SHOW cluster_name", &[]).await;
    drop(client);
    let _ = driver.await;
    match answered {
        Ok(row) if row.get::<_, &str>(0) == name => Answer::Ours,
        Ok(_) => Answer::Foreign,
        Err(_) => Answer::Nothing,
    }
}

fn data_dir(dir: &TempDir) -> PathBuf {
    dir.path().join("data")
}

async fn init_cluster(dir: &TempDir) {
    let mut command = Command::new(pg_binary("initdb"));
    command
        .arg("-D")
        .arg(data_dir(dir))
        .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
        .args(["--no-instructions", "--locale=C.UTF-8"]);
    if let Some(user) = server_user() {
        command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
    let output = command
        .output()
        .await
        .expect("running initdb (apt-get install postgresql)");
    assert!(
        output.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn spawn(port: u16, dir: &TempDir, durable: bool) -> Server {
    let mut command = Command::new(pg_binary("postgres"));
    command
        .arg("-D")
        .arg(data_dir(dir))
        .arg("-p")
        .arg(port.to_string())
        .arg("-k")
        .arg(dir.path())
        .args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=200",
            "-c",
        ])
        .arg(format!("cluster_name={}", cluster_name(dir)));
    if !durable {
        command
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"]);
    }
    Server::spawn("postgres", command)
}

/// Finds a server binary: Debian keeps them in /usr/lib/postgresql/<version>/bin,
/// off the PATH; take the newest, else rely on the PATH.
fn pg_binary(name: &str) -> PathBuf {
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin").join(name))
        .filter(|path| path.exists())
        .max_by_key(|path| {
            path.components()
                .nth(4)
                .and_then(|c| c.as_os_str().to_str()?.parse::<u32>().ok())
        });
    newest.unwrap_or_else(|| PathBuf::from(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_start_on_a_port_another_postgres_holds_moves_to_another_port() {
        let first = Postgres::start().await;
        let second =
            Postgres::start_on([first.port()].into_iter().chain(free_ports()), false, false).await;
        assert_ne!(second.port(), first.port());
        second
            .client()
            .await
            .batch_execute("CREATE TABLE mine (id int)")
            .await
            .unwrap();
        let seen: bool = first
            .client()
            .await
            .query_one("SELECT to_regclass('mine') IS NOT NULL", &[])
            .await
            .unwrap()
            .get(0);
        assert!(!seen, "the second test wrote into the first one's database");
    }
}

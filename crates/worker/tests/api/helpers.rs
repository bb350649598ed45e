//! Workers (in-process or as real processes) against a private Redis and
//! PostgreSQL, and ways to feed and inspect them.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use redis::AsyncCommands;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use voting::config::Env;
use voting::service::ServiceConfig;

/// The Redis and PostgreSQL that the workers of one test share.
pub struct Backends {
    pub redis: testkit::Redis,
    pub postgres: testkit::Postgres,
}

impl Backends {
    pub async fn start() -> Backends {
        if std::env::var_os("TEST_LOG").is_some() {
            voting::telemetry::init_tracing();
        }
        let (redis, postgres) = tokio::join!(testkit::Redis::start(), testkit::Postgres::start());
        Backends { redis, postgres }
    }

    pub fn env(&self, worker_id: &str, batch_size: usize) -> Vec<(String, String)> {
        vec![
            ("REDIS_URL".into(), self.redis.url()),
            ("DATABASE_URL".into(), self.postgres.url()),
            ("WORKER_ID".into(), worker_id.into()),
            ("BATCH_SIZE".into(), batch_size.to_string()),
        ]
    }

    /// Starts a worker in this process.
    pub async fn worker(&self, worker_id: &str, batch_size: usize) -> InProcessWorker {
        let pairs = self.env(worker_id, batch_size);
        let env = Env::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let config = worker::Config::from_env(&env).expect("valid test configuration");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(worker::run(listener, config, shutdown.clone()));
        InProcessWorker {
            address,
            shutdown,
            task: Some(task),
        }
    }

    /// Starts the real `worker` binary; it is killed when the handle drops.
    pub fn worker_process(&self, worker_id: &str, batch_size: usize) -> tokio::process::Child {
        self.worker_process_on(worker_id, batch_size, testkit::free_port())
    }

    /// Starts the real `worker` binary serving `/metrics` on `port`.
    pub fn worker_process_on(
        &self,
        worker_id: &str,
        batch_size: usize,
        port: u16,
    ) -> tokio::process::Child {
        self.worker_command(worker_id, batch_size, port)
            .spawn()
            .expect("starting the worker binary")
    }

    /// The command that starts the real `worker` binary, killed with the test.
    pub fn worker_command(
        &self,
        worker_id: &str,
        batch_size: usize,
        port: u16,
    ) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_worker"));
        command
            .envs(self.env(worker_id, batch_size))
            .env("PORT", port.to_string())
            .env(
                "RUST_LOG",
                if std::env::var_os("TEST_LOG").is_some() {
                    "debug"
                } else {
                    "warn"
                },
            )
            .stdout(Stdio::null());
        testkit::die_with_test(&mut command);
        command
    }

    /// Pushes raw messages onto the queue, as a vote service would.
    pub async fn push(&self, messages: &[String]) {
        let mut conn = self.redis.connection().await;
        let _: () = conn.rpush("votes", messages).await.unwrap();
    }

    pub async fn list(&self, key: &str) -> Vec<String> {
        let mut conn = self.redis.connection().await;
        conn.lrange(key, 0, -1).await.unwrap()
    }

    pub async fn list_len(&self, key: &str) -> usize {
        let mut conn = self.redis.connection().await;
        conn.llen(key).await.unwrap()
    }

    /// The table as voter id -> vote, or empty if the table does not exist yet.
    pub async fn stored(&self) -> HashMap<String, String> {
        let client = self.postgres.client().await;
        match client.query("SELECT id, vote FROM votes", &[]).await {
            Ok(rows) => rows.iter().map(|r| (r.get(0), r.get(1))).collect(),
            Err(_) => HashMap::new(),
        }
    }

    /// Waits until the queue is drained, no worker holds a vote (every batch
    /// taken is committed) and `expected` rows are stored.
    pub async fn wait_stored(&self, expected: usize) -> HashMap<String, String> {
        testkit::eventually(
            &format!("{expected} votes stored"),
            Duration::from_secs(60),
            || async {
                // Idle first, then the table: read the other way round, a
                // batch acknowledged between the two reads would be missed.
                if !self.idle().await {
                    return None;
                }
                let stored = self.stored().await;
                (stored.len() == expected).then_some(stored)
            },
        )
        .await
    }

    /// Waits until `voter`'s row holds `choice`.
    pub async fn wait_vote(&self, voter: &str, choice: &str) {
        testkit::eventually(
            &format!("{voter}'s vote to become {choice}"),
            testkit::DEFAULT_DEADLINE,
            || async {
                (self.stored().await.get(voter).map(String::as_str) == Some(choice)).then_some(())
            },
        )
        .await;
    }

    /// Whether the queue and every processing list are empty.
    pub async fn idle(&self) -> bool {
        let mut conn = self.redis.connection().await;
        let held: Vec<String> = conn.keys("votes:processing:*").await.unwrap();
        held.is_empty() && self.list_len("votes").await == 0
    }
}

/// A counter's value on the `/metrics` page of the worker on `port`, summed
/// over its labels; 0 while the worker does not answer.
pub async fn metric(port: u16, name: &str) -> f64 {
    let Ok(response) = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await else {
        return 0.0;
    };
    let page = response.text().await.unwrap_or_default();
    page.lines()
        .filter(|line| line.split(['{', ' ']).next() == Some(name))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A message as the original vote app queues it: no `ts`.
pub fn original(voter: &str, choice: &str) -> String {
    format!(r#"{{"voter_id": "{voter}", "vote": "{choice}"}}"#)
}

/// A message as our vote service queues it.
pub fn vote(voter: &str, choice: &str, ts: i64) -> String {
    format!(r#"{{"voter_id":"{voter}","vote":"{choice}","ts":{ts}}}"#)
}

/// A worker running in this test's runtime.
pub struct InProcessWorker {
    pub address: String,
    shutdown: CancellationToken,
    task: Option<JoinHandle<Result<(), worker::Error>>>,
}

impl InProcessWorker {
    /// Stops it as SIGTERM would and waits until it returns.
    pub async fn stop(mut self) -> Result<(), worker::Error> {
        self.shutdown.cancel();
        self.task.take().unwrap().await.unwrap()
    }

    pub async fn health(&self) -> u16 {
        reqwest::get(format!("{}/healthz", self.address))
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }
}

impl Drop for InProcessWorker {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A vote service in this process, in front of the test's Redis.
pub struct VoteService {
    pub address: String,
    shutdown: CancellationToken,
}

impl Backends {
    pub async fn vote_service(&self) -> VoteService {
        let url = self.redis.url();
        let env = Env::from_pairs([("REDIS_URL", url.as_str())]);
        let config = vote::Config::from_env(&env).expect("valid test configuration");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        tokio::spawn(vote::run(listener, config, shutdown.clone()));
        VoteService { address, shutdown }
    }
}

impl Drop for VoteService {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Clients voting as fast as they can, each vote from a new voter, keeping
/// the ids of the votes the service acknowledged: the load generator the
/// benchmarks use, so both count acknowledged votes the same way.
pub struct Load(loadgen::Running);

impl Load {
    pub async fn start(service: &VoteService, clients: usize) -> Load {
        let running = loadgen::VoteLoad::new(&service.address)
            .connections(clients)
            .record_voters()
            .start()
            .await
            .expect("the load generator starts");
        Load(running)
    }

    /// Stops the clients and returns every acknowledged voter id.
    pub async fn finish(self) -> Vec<String> {
        self.0.finish().await.acknowledged_voters
    }
}

/// Checks that every acknowledged vote is stored, once everything is drained.
pub async fn assert_nothing_lost(backends: &Backends, acknowledged: &[String]) {
    let stored = testkit::eventually(
        "every acknowledged vote stored",
        Duration::from_secs(60),
        || async {
            let stored = backends.stored().await;
            let drained = backends.idle().await;
            (drained && acknowledged.iter().all(|id| stored.contains_key(id))).then_some(stored)
        },
    )
    .await;
    assert!(
        !acknowledged.is_empty(),
        "the load acknowledged no vote at all"
    );
    assert!(stored.len() >= acknowledged.len());
}

/// Waits until the table has at least `rows` rows.
pub async fn wait_rows_at_least(backends: &Backends, rows: usize) {
    testkit::eventually(
        &format!("at least {rows} rows"),
        Duration::from_secs(60),
        || async { (backends.stored().await.len() >= rows).then_some(()) },
    )
    .await;
}

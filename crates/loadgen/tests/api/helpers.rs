//! The voting app's services in this process, each on port 0, over private
//! Redis and PostgreSQL servers.

use std::time::Duration;

use redis::AsyncCommands;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use voting::config::Env;
use voting::service::ServiceConfig;

/// A fallback refresh so slow it never fires: tallies must be pushed.
const NO_REFRESH_MS: &str = "3600000";

/// Servers and services of one test; everything stops when it drops.
pub struct Stack {
    pub redis: testkit::Redis,
    pub postgres: Option<testkit::Postgres>,
    pub vote_url: String,
    pub result_url: Option<String>,
    shutdown: CancellationToken,
}

impl Stack {
    /// Redis and the vote service only.
    pub async fn vote_only() -> Stack {
        if std::env::var_os("TEST_LOG").is_some() {
            voting::telemetry::init_tracing();
        }
        let redis = testkit::Redis::start().await;
        let shutdown = CancellationToken::new();
        let url = redis.url();
        let config = vote::Config::from_env(&Env::from_pairs([("REDIS_URL", url.as_str())]))
            .expect("a valid vote configuration");
        let vote_url = serve(shutdown.clone(), |listener, stop| {
            vote::run(listener, config, stop)
        })
        .await;
        Stack {
            redis,
            postgres: None,
            vote_url,
            result_url: None,
            shutdown,
        }
    }

    /// vote, worker and result over Redis and PostgreSQL.
    pub async fn full() -> Stack {
        let mut stack = Stack::vote_only().await;
        let postgres = testkit::Postgres::start().await;
        let (redis_url, db_url) = (stack.redis.url(), postgres.url());
        let worker_env = Env::from_pairs([
            ("REDIS_URL", redis_url.as_str()),
            ("DATABASE_URL", db_url.as_str()),
            ("WORKER_ID", "w1"),
        ]);
        let worker = worker::Config::from_env(&worker_env).expect("a valid worker configuration");
        serve(stack.shutdown.clone(), |listener, stop| {
            worker::run(listener, worker, stop)
        })
        .await;
        let result = result::Config::from_env(&Env::from_pairs([
            ("DATABASE_URL", db_url.as_str()),
            ("REFRESH_INTERVAL_MS", NO_REFRESH_MS),
        ]))
        .expect("a valid result configuration");
        let result_url = serve(stack.shutdown.clone(), |listener, stop| {
            result::run(listener, result, stop)
        })
        .await;
        stack.postgres = Some(postgres);
        stack.result_url = Some(result_url);
        stack.wait_healthy().await;
        stack
    }

    /// The result service's `/events`.
    pub fn events_url(&self) -> String {
        format!("{}events", self.result_url.as_ref().expect("a full stack"))
    }

    /// The voter ids in the Redis queue, oldest first.
    pub async fn queued_voters(&self) -> Vec<String> {
        let mut conn = self.redis.connection().await;
        let raw: Vec<String> = conn.lrange("votes", 0, -1).await.unwrap();
        raw.iter()
            .map(|m| {
                let json: serde_json::Value = serde_json::from_str(m).unwrap();
                json["voter_id"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    async fn wait_healthy(&self) {
        let urls = [Some(&self.vote_url), self.result_url.as_ref()];
        for url in urls.into_iter().flatten() {
            let health = format!("{url}healthz");
            testkit::eventually(
                &format!("{health} healthy"),
                testkit::DEFAULT_DEADLINE,
                || async {
                    let status = reqwest::get(&health).await.ok()?.status();
                    status.is_success().then_some(())
                },
            )
            .await;
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts a service on a free port and returns its base URL.
async fn serve<F, Fut, E>(shutdown: CancellationToken, run: F) -> String
where
    F: FnOnce(TcpListener, CancellationToken) -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(run(listener, shutdown));
    url
}

/// A generous deadline for things the services do in milliseconds.
pub const PATIENCE: Duration = Duration::from_secs(30);

//! Starts the vote service on a free port against its own Redis.

use redis::AsyncCommands;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use voting::config::Env;
use voting::service::ServiceConfig;

/// A running vote service and the Redis behind it.
pub struct TestApp {
    pub address: String,
    pub redis: testkit::Redis,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
    server: Option<JoinHandle<Result<(), std::convert::Infallible>>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the service with extra environment variables.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        voting::telemetry::init_tracing();
    }
    let redis = testkit::Redis::start().await;
    let url = redis.url();
    let mut pairs = vec![
        ("REDIS_URL", url.as_str()),
        ("OPTION_A", "Tabs"),
        ("OPTION_B", "Spaces"),
    ];
    pairs.extend_from_slice(vars);
    let env = Env::from_pairs(pairs);
    let config = vote::Config::from_env(&env).expect("valid test configuration");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(vote::run(listener, config, shutdown.clone()));
    TestApp {
        address,
        redis,
        client: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .unwrap(),
        shutdown,
        server: Some(server),
    }
}

impl TestApp {
    /// Posts the vote form, as the page does, optionally as a known voter.
    pub async fn post_vote(&self, vote: &str, voter: Option<&str>) -> reqwest::Response {
        self.post_form(&format!("vote={vote}"), voter).await
    }

    /// Posts `body` as a form, whatever it holds.
    pub async fn post_form(&self, body: &str, voter: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .post(&self.address)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.to_owned());
        if let Some(voter) = voter {
            request = request.header(COOKIE, format!("voter_id={voter}"));
        }
        request.send().await.expect("the vote service answers")
    }

    /// Everything in the `votes` list, oldest first.
    pub async fn queued(&self) -> Vec<serde_json::Value> {
        let mut conn = self.redis.connection().await;
        let raw: Vec<String> = conn.lrange("votes", 0, -1).await.unwrap();
        raw.iter()
            .map(|m| serde_json::from_str(m).expect("queued messages are JSON"))
            .collect()
    }

    /// The voter ids in the `votes` list, oldest first.
    pub async fn queued_voters(&self) -> Vec<String> {
        self.queued()
            .await
            .iter()
            .map(|m| m["voter_id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Stops the service as SIGTERM would and waits until it has returned.
    pub async fn shut_down(&mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The voter id the response's cookie hands out.
pub fn cookie_voter(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("voter_id="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// Starts a vote on `stream` whose body never comes in full, so that the
/// request stays in flight in the router. hyper's `100 Continue` shows
/// that the handler has started to read the body.
pub async fn start_stuck_vote(stream: &mut tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(
            b"POST / HTTP/1.1\r\nHost: vote\r\nExpect: 100-continue\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n",
        )
        .await
        .unwrap();
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).await.unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(b"vote=").await.unwrap();
}

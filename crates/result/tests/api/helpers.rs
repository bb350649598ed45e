//! `spawn_app()`: a result service on port 0 over its own PostgreSQL, with
//! typed helpers to vote, read the API and follow the event stream.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use result::Config;
use testkit::{DEFAULT_DEADLINE, Postgres, eventually};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use voting::config::Env;
use voting::service::ServiceConfig;
use voting::tally::Tally;

/// A fallback refresh so slow it never fires during a test: tests of
/// pushed changes must not pass thanks to it.
pub const NO_REFRESH_MS: &str = "3600000";

/// A running result service and the database behind it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub postgres: Postgres,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
    server: JoinHandle<Result<(), result::Error>>,
}

/// Starts a result service with the fallback refresh off.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts a result service with extra environment variables, over a fresh
/// database, and waits until it is healthy.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let app = TestApp::start(Postgres::start().await, vars).await;
    app.wait_healthy().await;
    app
}

impl TestApp {
    /// Starts a result service over `postgres`, whether or not it is
    /// running, without waiting for anything.
    pub async fn start(postgres: Postgres, vars: &[(&str, &str)]) -> TestApp {
        if std::env::var_os("TEST_LOG").is_some() {
            voting::telemetry::init_tracing();
        }
        let url = postgres.url();
        let mut pairs = vec![
            ("DATABASE_URL", url.as_str()),
            ("REFRESH_INTERVAL_MS", NO_REFRESH_MS),
        ];
        pairs.extend_from_slice(vars);
        let config = Config::from_env(&Env::from_pairs(pairs)).expect("a valid test configuration");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(result::run(listener, config, shutdown.clone()));
        TestApp {
            addr,
            postgres,
            http: reqwest::Client::new(),
            shutdown,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("the service answers")
    }

    pub async fn health(&self) -> reqwest::StatusCode {
        self.get("/healthz").await.status()
    }

    pub async fn wait_healthy(&self) {
        eventually("/healthz to answer 200", DEFAULT_DEADLINE, || async {
            (self.health().await == 200).then_some(())
        })
        .await;
    }

    /// `GET /api/results`, checked to be JSON.
    pub async fn results(&self) -> Tally {
        let response = self.get("/api/results").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        response.json().await.expect("a tally as JSON")
    }

    /// Waits until `/api/results` shows `want`.
    pub async fn wait_for_results(&self, want: Tally) {
        eventually(
            &format!("/api/results to show {want:?}"),
            DEFAULT_DEADLINE,
            || async { (self.results().await == want).then_some(()) },
        )
        .await;
    }

    /// Records `voter`'s vote as the worker does: upsert and notify in one
    /// transaction, so the notification goes out with the commit.
    pub async fn vote(&self, voter: &str, choice: &str) {
        self.write_vote(voter, choice, true).await;
    }

    /// Records a vote the way the original worker does: without notifying.
    pub async fn vote_silently(&self, voter: &str, choice: &str) {
        self.write_vote(voter, choice, false).await;
    }

    async fn write_vote(&self, voter: &str, choice: &str, notify: bool) {
        let mut client = self.postgres.client().await;
        voting::schema::ensure(&mut client).await.unwrap();
        let tx = client.transaction().await.unwrap();
        tx.execute(
            "INSERT INTO votes (id, vote) VALUES ($1, $2) \
             ON CONFLICT (id) DO UPDATE SET vote = EXCLUDED.vote",
            &[&voter, &choice],
        )
        .await
        .unwrap();
        if notify {
            tx.batch_execute(&notify_sql()).await.unwrap();
        }
        tx.commit().await.unwrap();
    }

    /// Sends `NOTIFY votes_changed` with nothing changed.
    pub async fn notify_only(&self) {
        let client = self.postgres.client().await;
        client.batch_execute(&notify_sql()).await.unwrap();
    }

    /// Opens `/events` as the first request of a fresh connection, which
    /// the service answers on its lean path (the stream ends with the
    /// connection).
    pub async fn events(&self) -> Events {
        let response = reqwest::Client::new()
            .get(self.url("/events"))
            .send()
            .await
            .expect("the service answers");
        Events::check(response, "close")
    }

    /// Opens `/events` on a connection kept alive after another request,
    /// which the router answers (the stream is chunked).
    pub async fn events_after_another_request(&self) -> Events {
        let http = reqwest::Client::new();
        let health = http.get(self.url("/healthz")).send().await.unwrap();
        health.bytes().await.unwrap();
        let response = http.get(self.url("/events")).send().await.unwrap();
        Events::check(response, "chunked")
    }

    /// The sum of a counter's samples in `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.get("/metrics").await.text().await.unwrap();
        text.lines()
            .filter(|line| {
                line.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with([' ', '{']))
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Runs `sql` as a writer for whom no trigger fires (replication
    /// role `replica`, as logical replication and some restores do), so
    /// `vote_tally` misses it.
    pub async fn write_bypassing_triggers(&self, sql: &str) {
        let client = self.postgres.client().await;
        client
            .batch_execute(&format!(
                "SET session_replication_role = replica; {sql}; RESET session_replication_role"
            ))
            .await
            .unwrap();
    }

    /// Shuts the service down and hands back its database, for a test to
    /// start another service over it.
    pub async fn into_postgres(self) -> Postgres {
        self.shutdown.cancel();
        let _ = tokio::time::timeout(DEFAULT_DEADLINE, self.server).await;
        self.postgres
    }

    /// Cancels the shutdown token and waits for `run` to return.
    pub async fn shut_down(self) -> Result<(), result::Error> {
        self.shutdown.cancel();
        tokio::time::timeout(DEFAULT_DEADLINE, self.server)
            .await
            .expect("the service stops before the deadline")
            .expect("the service task does not panic")
    }
}

/// What the worker sends with each batch's commit.
fn notify_sql() -> String {
    format!("NOTIFY {}", voting::schema::CHANGED_CHANNEL)
}

/// A client of `/events` that reads it frame by frame.
pub struct Events {
    body: std::pin::Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    buffer: String,
}

impl Events {
    /// Checks that `response` is an event stream framed as `framing` says:
    /// `close` (ended by closing the connection) or `chunked`.
    fn check(response: reqwest::Response, framing: &str) -> Events {
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        assert_eq!(headers["content-type"], "text/event-stream");
        assert_eq!(headers["cache-control"], "no-cache");
        match framing {
            "close" => assert_eq!(headers["connection"], "close", "{headers:?}"),
            _ => assert_eq!(headers["transfer-encoding"], "chunked", "{headers:?}"),
        }
        Events {
            body: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        }
    }

    /// The data of the next event, or `None` when the server ended the
    /// stream. Comments and `retry:` lines are skipped.
    pub async fn next_data(&mut self) -> Option<String> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let data: Vec<&str> = frame
                    .lines()
                    .filter_map(|line| line.strip_prefix("data:"))
                    .map(|data| data.strip_prefix(' ').unwrap_or(data))
                    .collect();
                if !data.is_empty() {
                    return Some(data.join("\n"));
                }
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.buffer.push_str(std::str::from_utf8(&chunk).unwrap()),
                Some(Err(e)) => panic!("the event stream broke: {e}"),
                None => return None,
            }
        }
    }

    /// The next tally pushed, failing after the default deadline.
    pub async fn next_tally(&mut self) -> Tally {
        let data = self
            .next_within(DEFAULT_DEADLINE)
            .await
            .expect("the stream stays open");
        serde_json::from_str(&data).expect("events carry a tally")
    }

    /// The next event's data, or `Err` if none came within `deadline`.
    pub async fn next_within(&mut self, deadline: Duration) -> Option<String> {
        tokio::time::timeout(deadline, self.next_data())
            .await
            .unwrap_or_else(|_| panic!("no event within {deadline:?}"))
    }
}

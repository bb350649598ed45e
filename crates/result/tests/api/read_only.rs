//! A database user that may only read `votes`, as enough for the original
//! result app: ours counts with the original query and says so once.

use std::process::Stdio;

use testkit::{DEFAULT_DEADLINE, Postgres, eventually};
use voting::tally::Tally;

use crate::helpers::{TestApp, spawn_app};

/// A role that may log in and read `votes`, nothing else.
const READER: &str = "CREATE ROLE reader LOGIN; GRANT SELECT ON votes TO reader";

/// The words result logs when it falls back to the original query.
const FALLBACK_LOG: &str = "cannot keep a vote tally";

/// A database with the table and three votes, made by its owner.
async fn database_with_votes() -> Postgres {
    let postgres = Postgres::start().await;
    add_votes(&postgres, "('v1', 'a'), ('v2', 'b'), ('v3', 'b')").await;
    postgres
}

/// Inserts `(id, vote)` rows as the table's owner, making it if need be.
async fn add_votes(postgres: &Postgres, rows: &str) {
    let mut owner = postgres.client().await;
    voting::schema::ensure(&mut owner).await.unwrap();
    let insert = format!("INSERT INTO votes (id, vote) VALUES {rows}");
    owner.batch_execute(&insert).await.unwrap();
}

#[tokio::test]
async fn a_user_that_may_only_read_votes_is_served_with_the_original_query() {
    let postgres = database_with_votes().await;
    postgres.client().await.batch_execute(READER).await.unwrap();
    let url = postgres.url_as("reader");
    let vars = [
        ("DATABASE_URL", url.as_str()),
        ("REFRESH_INTERVAL_MS", "100"),
    ];
    let app = TestApp::start(postgres, &vars).await;
    app.wait_healthy().await;
    app.wait_for_results(Tally { a: 1, b: 2 }).await;

    // The original worker writes and never notifies: the poll sees it.
    app.vote_silently("v4", "a").await;
    app.wait_for_results(Tally { a: 2, b: 2 }).await;
    let made: bool = app
        .postgres
        .client()
        .await
        .query_one("SELECT to_regclass('vote_tally') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!made, "a read-only result made a tally table");
}

#[tokio::test]
async fn a_reader_ignores_a_tally_it_may_not_read_and_heals_once_granted_select() {
    // An earlier result with every right set up the tally and its triggers.
    let earlier = spawn_app().await;
    earlier.vote("v1", "a").await;
    earlier.wait_for_results(Tally { a: 1, b: 0 }).await;
    let postgres = earlier.into_postgres().await;
    let owner = postgres.client().await;
    owner
        .batch_execute("CREATE ROLE reader LOGIN")
        .await
        .unwrap();
    let url = postgres.url_as("reader");
    let app = TestApp::start(postgres, &[("DATABASE_URL", url.as_str())]).await;

    eventually(
        "/healthz to explain the refusal",
        DEFAULT_DEADLINE,
        || async {
            let response = app.get("/healthz").await;
            let status = response.status();
            let body = response.text().await.unwrap();
            (status == 503 && body.contains("permission denied")).then_some(())
        },
    )
    .await;
    owner
        .batch_execute("GRANT SELECT ON votes TO reader")
        .await
        .unwrap();
    app.wait_healthy().await;
    app.wait_for_results(Tally { a: 1, b: 0 }).await;
    // The worker's notification makes it count again, with the original query.
    app.vote("v2", "b").await;
    app.wait_for_results(Tally { a: 1, b: 1 }).await;
}

#[tokio::test]
async fn the_binary_says_once_that_it_counts_with_the_original_query() {
    let mut postgres = database_with_votes().await;
    postgres.client().await.batch_execute(READER).await.unwrap();
    let port = testkit::free_port();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_result"));
    command
        .env_clear()
        .env("PORT", port.to_string())
        .env("DATABASE_URL", postgres.url_as("reader"))
        .env("REFRESH_INTERVAL_MS", "100")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    testkit::die_with_test(&mut command);
    let child = command.spawn().expect("starting the result binary");
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let results = |want: Tally| {
        let (http, base) = (&http, &base);
        async move {
            let response = http.get(format!("{base}/api/results")).send().await.ok()?;
            (response.json::<Tally>().await.ok()? == want).then_some(())
        }
    };
    eventually("the first counts", DEFAULT_DEADLINE, || {
        results(Tally { a: 1, b: 2 })
    })
    .await;

    // A new connection sets up again, and must not say it again.
    postgres.restart().await;
    add_votes(&postgres, "('v4', 'a')").await;
    eventually("the counts after the restart", DEFAULT_DEADLINE, || {
        results(Tally { a: 2, b: 2 })
    })
    .await;
    let metrics = http.get(format!("{base}/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.contains("result_db_errors_total"),
        "the restart was not noticed: {metrics}"
    );

    let pid = nix::unistd::Pid::from_raw(child.id().unwrap() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let output = tokio::time::timeout(DEFAULT_DEADLINE, child.wait_with_output())
        .await
        .expect("the binary exits before the deadline")
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert_eq!(log.matches(FALLBACK_LOG).count(), 1, "{log}");
}

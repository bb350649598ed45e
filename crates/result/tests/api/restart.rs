//! PostgreSQL going away: the service keeps serving the last known counts,
//! reports the outage on `/healthz`, and picks up again when it is back.

use testkit::{DEFAULT_DEADLINE, Postgres, eventually};
use voting::tally::Tally;

use crate::helpers::{TestApp, spawn_app};

#[tokio::test]
async fn the_service_survives_a_postgres_restart() {
    let mut app = spawn_app().await;
    app.vote("aaaa", "a").await;
    app.wait_for_results(Tally { a: 1, b: 0 }).await;
    let mut events = app.events().await;
    assert_eq!(events.next_tally().await, Tally { a: 1, b: 0 });

    app.postgres.stop().await;
    eventually("/healthz to answer 503", DEFAULT_DEADLINE, || async {
        (app.health().await == 503).then_some(())
    })
    .await;
    let health = app.get("/healthz").await.text().await.unwrap();
    assert!(health.contains("postgres"), "{health}");
    // The last known counts are still served.
    assert_eq!(app.results().await, Tally { a: 1, b: 0 });
    assert_eq!(app.get("/").await.status(), 200);

    app.postgres.start_again().await;
    app.wait_healthy().await;
    // The stream opened before the outage sees changes made after it.
    app.vote("bbbb", "b").await;
    assert_eq!(events.next_tally().await, Tally { a: 1, b: 1 });
    assert!(app.metric("result_db_errors_total").await >= 1.0);
}

#[tokio::test]
async fn the_service_starts_before_the_database() {
    let mut postgres = Postgres::start().await;
    postgres.stop().await;
    let mut app = TestApp::start(postgres, &[]).await;

    assert_eq!(app.health().await, 503);
    assert_eq!(app.get("/api/results").await.status(), 503);
    assert_eq!(app.get("/").await.status(), 200);
    let mut events = app.events().await;

    app.postgres.start_again().await;
    app.wait_healthy().await;
    // The feed made the table, so a worker starting later finds it.
    assert_eq!(events.next_tally().await, Tally { a: 0, b: 0 });
    app.vote("aaaa", "b").await;
    assert_eq!(events.next_tally().await, Tally { a: 0, b: 1 });
}

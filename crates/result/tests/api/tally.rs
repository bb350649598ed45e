//! The counts come from a tally table that triggers keep equal to the
//! original app's query, whoever writes to `votes` and however.

use testkit::Postgres;
use voting::tally::Tally;

use crate::helpers::{TestApp, spawn_app};

/// The original app's count, straight from the table.
async fn original_count(app: &TestApp) -> Tally {
    let client = app.postgres.client().await;
    let rows = client.query(voting::schema::COUNT_SQL, &[]).await.unwrap();
    Tally::from_rows(
        rows.iter()
            .map(|r| (r.get::<_, &str>(0), r.get::<_, i64>(1))),
    )
}

#[tokio::test]
async fn the_tally_follows_inserts_updates_deletes_and_truncates() {
    let app = spawn_app().await;
    app.vote("v1", "a").await;
    app.vote("v2", "a").await;
    app.vote("v3", "b").await;
    app.wait_for_results(Tally { a: 2, b: 1 }).await;
    let client = app.postgres.client().await;
    for (statement, want) in [
        (
            "UPDATE votes SET vote = 'b' WHERE id = 'v1'",
            Tally { a: 1, b: 2 },
        ),
        ("DELETE FROM votes WHERE id = 'v3'", Tally { a: 1, b: 1 }),
        (
            "INSERT INTO votes (id, vote) VALUES ('v4', 'a'), ('v5', 'a'), ('v6', 'b')",
            Tally { a: 3, b: 2 },
        ),
        ("TRUNCATE votes", Tally { a: 0, b: 0 }),
    ] {
        client.batch_execute(statement).await.unwrap();
        app.notify_only().await;
        app.wait_for_results(want).await;
        assert_eq!(original_count(&app).await, want, "after {statement}");
    }
}

#[tokio::test]
async fn votes_already_in_the_table_are_counted_at_start() {
    let postgres = Postgres::start().await;
    let mut client = postgres.client().await;
    voting::schema::ensure(&mut client).await.unwrap();
    client
        .batch_execute(
            "INSERT INTO votes (id, vote) SELECT 'old' || i, 'b' FROM generate_series(1, 500) i",
        )
        .await
        .unwrap();
    let app = TestApp::start(postgres, &[]).await;
    app.wait_healthy().await;
    app.wait_for_results(Tally { a: 0, b: 500 }).await;
    app.vote("new", "a").await;
    app.wait_for_results(Tally { a: 1, b: 500 }).await;
}

#[tokio::test]
async fn a_dropped_tally_never_stops_writers_and_is_rebuilt() {
    let app = spawn_app().await;
    app.vote("v1", "a").await;
    app.wait_for_results(Tally { a: 1, b: 0 }).await;
    let client = app.postgres.client().await;
    client.batch_execute("DROP TABLE vote_tally").await.unwrap();
    // The worker's writes go on; result notices, reconnects and recounts.
    app.vote("v2", "b").await;
    app.wait_for_results(Tally { a: 1, b: 1 }).await;
    app.vote("v3", "b").await;
    app.wait_for_results(Tally { a: 1, b: 2 }).await;
}

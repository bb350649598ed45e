//! The reconcile: writes that bypass the tally's triggers are found,
//! repaired, logged and exported, without losing concurrent writes.

use testkit::{DEFAULT_DEADLINE, eventually};
use voting::tally::Tally;

use crate::helpers::{NO_REFRESH_MS, TestApp, spawn_app_with};

/// Two votes for `b` that no trigger counts.
const BYPASSING_INSERT: &str =
    "INSERT INTO votes (id, vote) VALUES ('quiet1', 'b'), ('quiet2', 'b')";

/// The tally as PostgreSQL holds it, and the original app's count.
async fn tally_and_count(app: &TestApp) -> (Tally, Tally) {
    let client = app.postgres.client().await;
    let read = |sql: &'static str| {
        let client = &client;
        async move {
            let rows = client.query(sql, &[]).await.unwrap();
            Tally::from_rows(
                rows.iter()
                    .map(|r| (r.get::<_, &str>(0), r.get::<_, i64>(1))),
            )
        }
    };
    (
        read("SELECT vote, count FROM vote_tally").await,
        read(voting::schema::COUNT_SQL).await,
    )
}

#[tokio::test]
async fn a_write_that_bypasses_the_triggers_is_repaired_by_the_periodic_reconcile() {
    let app = spawn_app_with(&[("TALLY_RECONCILE_INTERVAL_MS", "100")]).await;
    let mut events = app.events().await;
    assert_eq!(events.next_tally().await, Tally { a: 0, b: 0 });
    app.vote("loud", "a").await;
    assert_eq!(events.next_tally().await, Tally { a: 1, b: 0 });

    app.write_bypassing_triggers(BYPASSING_INSERT).await;
    // No notification and no refresh: only the reconcile can show it.
    assert_eq!(events.next_tally().await, Tally { a: 1, b: 2 });
    let (tally, count) = tally_and_count(&app).await;
    assert_eq!(tally, count);
    assert_eq!(app.metric("result_tally_repairs_total").await, 1.0);
    // The next reconcile finds the tally right again.
    eventually(
        "the drift gauge to be back at 0",
        DEFAULT_DEADLINE,
        || async { (app.metric("result_tally_drift_votes").await == 0.0).then_some(()) },
    )
    .await;
    assert_eq!(app.metric("result_tally_repairs_total").await, 1.0);
}

#[tokio::test]
async fn a_drift_made_while_result_was_away_is_repaired_and_reported_on_reconnect() {
    let mut app = spawn_app_with(&[("TALLY_RECONCILE_INTERVAL_MS", NO_REFRESH_MS)]).await;
    app.vote("loud", "a").await;
    app.wait_for_results(Tally { a: 1, b: 0 }).await;
    app.write_bypassing_triggers(BYPASSING_INSERT).await;

    app.postgres.restart().await;
    app.wait_for_results(Tally { a: 1, b: 2 }).await;
    assert_eq!(app.metric("result_tally_drift_votes").await, 2.0);
    assert_eq!(app.metric("result_tally_repairs_total").await, 1.0);
    let (tally, count) = tally_and_count(&app).await;
    assert_eq!(tally, count);
}

/// Writers that fire the triggers keep writing while reconciles run every
/// 50 ms. A reconcile that overwrote the tally with its own count would
/// lose the increments committed during its scan (made long by the voters
/// already there), and the next reconcile would then find (and count)
/// another drift.
#[tokio::test]
async fn reconciles_lose_no_concurrent_write() {
    const EARLIER: i64 = 100_000;
    const WRITERS: usize = 4;
    const STATEMENTS: usize = 150;
    let app = spawn_app_with(&[("TALLY_RECONCILE_INTERVAL_MS", "50")]).await;
    let earlier = format!(
        "INSERT INTO votes (id, vote) SELECT 'e' || i, 'a' FROM generate_series(1, {EARLIER}) i"
    );
    app.postgres
        .client()
        .await
        .batch_execute(&earlier)
        .await
        .unwrap();
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let client = app.postgres.client().await;
        writers.push(tokio::spawn(async move {
            for n in 0..STATEMENTS {
                let sql = format!(
                    "INSERT INTO votes (id, vote) VALUES ('w{writer}-{n}-a', 'a'), ('w{writer}-{n}-b', 'b'), ('w{writer}-{n}-c', 'b')"
                );
                client.batch_execute(&sql).await.unwrap();
            }
        }));
    }
    app.write_bypassing_triggers(BYPASSING_INSERT).await;
    for writer in writers {
        writer.await.unwrap();
    }
    let written = (WRITERS * STATEMENTS) as i64;
    let want = Tally {
        a: EARLIER + written,
        b: 2 * written + 2,
    };
    app.notify_only().await;
    app.wait_for_results(want).await;
    eventually(
        "a reconcile to find the tally right",
        DEFAULT_DEADLINE,
        || async { (app.metric("result_tally_drift_votes").await == 0.0).then_some(()) },
    )
    .await;
    assert_eq!(tally_and_count(&app).await, (want, want));
    assert_eq!(app.metric("result_tally_repairs_total").await, 1.0);
}

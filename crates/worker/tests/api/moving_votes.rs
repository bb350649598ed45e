//! Votes move from the queue into the table, the latest of each voter wins,
//! and the original app's messages are understood.

use crate::helpers::{Backends, original, vote};

#[tokio::test]
async fn queued_votes_end_up_in_the_table() {
    let backends = Backends::start().await;
    let worker = backends.worker("w1", 100).await;
    let messages: Vec<String> = (0..1000)
        .map(|i| vote(&format!("{i:x}"), ["a", "b"][i % 2], 1))
        .collect();
    backends.push(&messages).await;
    let stored = backends.wait_stored(1000).await;
    assert_eq!(stored.values().filter(|v| *v == "a").count(), 500);
    assert_eq!(backends.list_len("votes:processing:w1").await, 0);
    worker.stop().await.unwrap();
}

#[tokio::test]
async fn a_changed_vote_replaces_the_first_whatever_its_ts_says() {
    let backends = Backends::start().await;
    let worker = backends.worker("w1", 10).await;
    backends.push(&[vote("v", "a", i64::MAX)]).await;
    assert_eq!(backends.wait_stored(1).await["v"], "a");
    // A later vote through a replica whose clock is behind, and one whose
    // ts is the largest there is: neither time pins the row.
    for (choice, ts) in [("b", 1), ("a", i64::MAX), ("b", 0)] {
        backends.push(&[vote("v", choice, ts)]).await;
        backends.wait_vote("v", choice).await;
    }
    worker.stop().await.unwrap();
}

/// A backlog in which the original app's messages and ours alternate for
/// the same voters, with our `ts` running backwards, read in takes of four:
/// the last message queued wins, within one take and across takes.
#[tokio::test]
async fn original_and_our_messages_interleaved_in_a_backlog_keep_queue_order() {
    let backends = Backends::start().await;
    let mut messages = Vec::new();
    for round in 0..9 {
        let choice = ["a", "b"][round % 2];
        // `one`: four votes in a row, so one take holds them all.
        if round < 4 {
            messages.push(if round % 2 == 0 {
                original("one", choice)
            } else {
                vote("one", choice, 1_000 - round as i64)
            });
        }
        // `across`: one vote every few messages, spread over the takes.
        messages.push(if round % 2 == 1 {
            original("across", choice)
        } else {
            vote("across", choice, 1_000 - round as i64)
        });
        messages.push(vote(&format!("filler{round}"), "a", 1));
    }
    backends.push(&messages).await;
    let worker = backends.worker("w1", 4).await;
    let stored = backends.wait_stored(11).await;
    assert_eq!(stored["one"], "b", "the fourth of four wins");
    assert_eq!(stored["across"], "a", "the ninth of nine wins");
    worker.stop().await.unwrap();
}

#[tokio::test]
async fn the_original_vote_apps_messages_are_stored() {
    let backends = Backends::start().await;
    let worker = backends.worker("w1", 10).await;
    backends
        .push(&[
            r#"{"voter_id": "6c3b0e2ffa1ba2f", "vote": "a"}"#.into(),
            r#"{"voter_id": "6c3b0e2ffa1ba2f", "vote": "b"}"#.into(),
            r#"{"voter_id": "1f2e", "vote": "a"}"#.into(),
        ])
        .await;
    let stored = backends.wait_stored(2).await;
    assert_eq!(stored["6c3b0e2ffa1ba2f"], "b", "the last one queued wins");
    worker.stop().await.unwrap();
}

#[tokio::test]
async fn the_table_keeps_the_original_schema() {
    let backends = Backends::start().await;
    let worker = backends.worker("w1", 10).await;
    backends.push(&[vote("v", "a", 1)]).await;
    backends.wait_stored(1).await;
    let client = backends.postgres.client().await;
    // What the original result app runs, unchanged.
    let rows = client
        .query(
            "SELECT vote, COUNT(id) AS count FROM votes GROUP BY vote",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let columns: Vec<(String, String, String)> = client
        .query(
            "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns
             WHERE table_name = 'votes' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        columns[0],
        ("id".into(), "character varying".into(), "NO".into())
    );
    assert_eq!(
        columns[1],
        ("vote".into(), "character varying".into(), "NO".into())
    );
    for added in ["ts", "seq"] {
        assert!(
            columns.contains(&(added.into(), "bigint".into(), "YES".into())),
            "{added}: {columns:?}"
        );
    }
    worker.stop().await.unwrap();
}

#[tokio::test]
async fn shutdown_finishes_the_batch_and_holds_nothing() {
    let backends = Backends::start().await;
    let worker = backends.worker("w1", 5000).await;
    let messages: Vec<String> = (0..20_000)
        .map(|i| vote(&format!("{i:x}"), "a", 1))
        .collect();
    backends.push(&messages).await;
    testkit::eventually(
        "the worker to start on the queue",
        testkit::DEFAULT_DEADLINE,
        || async { (backends.list_len("votes").await < 20_000).then_some(()) },
    )
    .await;
    worker.stop().await.unwrap();
    let left = backends.list_len("votes").await;
    assert_eq!(
        backends.list_len("votes:processing:w1").await,
        0,
        "nothing stays held"
    );
    assert_eq!(
        backends.stored().await.len() + left,
        20_000,
        "every vote is stored or still queued"
    );
}

/// A `queue_seq` the counter never handed out (another producer's, or a
/// forgery) is replaced at the take, so it cannot pin a voter's row.
#[tokio::test]
async fn a_forged_sequence_stamp_does_not_pin_the_row() {
    let backends = Backends::start().await;
    let worker = backends.worker("w1", 10).await;
    backends
        .push(&[r#"{"voter_id":"v","vote":"a","queue_seq":999999999}"#.into()])
        .await;
    assert_eq!(backends.wait_stored(1).await["v"], "a");
    backends.push(&[original("v", "b")]).await;
    backends.wait_vote("v", "b").await;
    worker.stop().await.unwrap();
}

/// When Redis lost its data (the counter with it) but the table kept its
/// rows, the counter starts above the highest stored `seq`: new votes still
/// replace old ones.
#[tokio::test]
async fn a_lost_counter_starts_above_the_stored_votes() {
    let backends = Backends::start().await;
    let worker = backends.worker("w1", 10).await;
    backends.push(&[original("v", "a")]).await;
    backends.wait_stored(1).await;
    let client = backends.postgres.client().await;
    client
        .execute("UPDATE votes SET seq = 5000 WHERE id = 'v'", &[])
        .await
        .unwrap();
    {
        use redis::AsyncCommands;
        let mut conn = backends.redis.connection().await;
        let _: () = conn.del("votes:seq").await.unwrap();
    }
    backends.push(&[original("v", "b")]).await;
    backends.wait_vote("v", "b").await;
    worker.stop().await.unwrap();
}

/// Processes that start together upgrade an older table at once: each adds
/// the missing `seq` column under the schema lock, and none fails.
#[tokio::test]
async fn concurrent_starts_upgrade_an_older_table_safely() {
    let backends = Backends::start().await;
    let client = backends.postgres.client().await;
    client
        .batch_execute(
            "CREATE TABLE votes (id VARCHAR(255) NOT NULL UNIQUE, vote VARCHAR(255) NOT NULL, ts BIGINT);
             INSERT INTO votes VALUES ('old', 'a', 1)",
        )
        .await
        .unwrap();
    let upgrades = (0..8).map(|_| async {
        let mut client = backends.postgres.client().await;
        voting::schema::ensure(&mut client).await
    });
    for upgraded in futures::future::join_all(upgrades).await {
        upgraded.unwrap();
    }
    let row = client
        .query_one("SELECT vote, seq FROM votes WHERE id = 'old'", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "a");
    assert_eq!(row.get::<_, Option<i64>>(1), None);
}

/// The take made while a batch commits leaves that batch held and takes
/// only what is behind it; the acknowledgement then drops the first batch
/// alone, and a full take after a lost acknowledgement hands both back.
#[tokio::test]
async fn a_take_behind_a_committing_batch_never_takes_it_twice() {
    use worker::queue::{ReliableQueue, Take};
    let backends = Backends::start().await;
    let client = redis::Client::open(backends.redis.url()).unwrap();
    let queue = ReliableQueue::new(&client, "wq");
    queue.heartbeat().await.unwrap().unwrap();
    queue.raise_counter(0).await.unwrap();
    let votes: Vec<String> = (0..5).map(|i| vote(&format!("v{i}"), "a", i)).collect();
    backends.push(&votes).await;
    let voters = |take: Take| match take {
        Take::Votes { messages, .. } => messages
            .iter()
            .map(|m| {
                let vote: serde_json::Value = serde_json::from_slice(m).unwrap();
                vote["voter_id"].as_str().unwrap().to_owned()
            })
            .collect::<Vec<_>>(),
        other => panic!("not votes: {other:?}"),
    };

    let first = voters(queue.take(2).await.unwrap());
    assert_eq!(first, ["v0", "v1"]);
    let behind = voters(queue.take_more(2).await.unwrap());
    assert_eq!(behind, ["v2", "v3"], "the held batch was taken again");
    assert_eq!(backends.list_len("votes:processing:wq").await, 4);
    assert!(queue.acknowledge(2, &[]).await.unwrap());
    let held = backends.list("votes:processing:wq").await;
    assert_eq!(held.len(), 2);
    assert!(
        held[0].contains("\"v2\"") && held[1].contains("\"v3\""),
        "{held:?}"
    );

    // Had that acknowledgement been lost, the next full take hands back
    // what is held, in order, before what is new.
    let again = voters(queue.take(5).await.unwrap());
    assert_eq!(again, ["v2", "v3", "v4"]);
}

//! Several workers share the queue, and a voter's last vote wins even when
//! two workers hold that voter's votes.

use crate::helpers::{Backends, vote};

#[tokio::test]
async fn the_last_vote_wins_across_two_workers() {
    let backends = Backends::start().await;
    let voters = 1000;
    let rounds = 6;
    // Each voter votes in every round, alternating a/b; rounds are queued
    // out of order, so late-arriving older votes must lose.
    let order = [0, 2, 1, 5, 3, 4];
    let messages: Vec<String> = order
        .iter()
        .flat_map(|&round| {
            (0..voters).map(move |v| {
                vote(
                    &format!("{v:x}"),
                    ["a", "b"][(round + v) % 2],
                    (round * 10_000 + v) as i64,
                )
            })
        })
        .collect();
    let (w1, w2) = (
        backends.worker("w1", 64).await,
        backends.worker("w2", 64).await,
    );
    for chunk in messages.chunks(500) {
        backends.push(chunk).await;
    }
    let stored = backends.wait_stored(voters).await;
    for v in 0..voters {
        let last_round = rounds - 1;
        assert_eq!(
            stored[&format!("{v:x}")],
            ["a", "b"][(last_round + v) % 2],
            "voter {v:x}"
        );
    }
    let workers: Vec<String> = {
        use redis::AsyncCommands;
        let mut conn = backends.redis.connection().await;
        conn.smembers("votes:workers").await.unwrap()
    };
    assert_eq!(workers.len(), 2, "both workers took part: {workers:?}");
    w1.stop().await.unwrap();
    w2.stop().await.unwrap();
}

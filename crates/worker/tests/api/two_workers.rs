//! Several workers share the queue, and a voter's last vote wins even when
//! two workers hold that voter's votes.

use crate::helpers::{Backends, metric, original, vote};

/// Each of 1000 voters votes six times, alternating a/b, half of the votes in
/// the original format and ours with `ts` running backwards (as from
/// replicas whose clocks are off): the last vote queued wins, and both
/// worker processes did part of the work.
#[tokio::test]
async fn the_last_vote_wins_across_two_workers_and_both_work() {
    let backends = Backends::start().await;
    let voters = 1000;
    let rounds = 6;
    let messages: Vec<String> = (0..rounds)
        .flat_map(|round| {
            (0..voters).map(move |v| {
                let (voter, choice) = (format!("{v:x}"), ["a", "b"][(round + v) % 2]);
                if (round + v) % 3 == 0 {
                    original(&voter, choice)
                } else {
                    vote(&voter, choice, ((rounds - round) * 10_000) as i64)
                }
            })
        })
        .collect();
    let ports = [testkit::free_port(), testkit::free_port()];
    let _w1 = backends.worker_process_on("w1", 64, ports[0]);
    let _w2 = backends.worker_process_on("w2", 64, ports[1]);
    testkit::eventually(
        "both workers to serve their metrics",
        testkit::DEFAULT_DEADLINE,
        || async {
            for port in ports {
                reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
                    .await
                    .ok()?;
            }
            Some(())
        },
    )
    .await;
    for chunk in messages.chunks(500) {
        backends.push(chunk).await;
    }
    let stored = backends.wait_stored(voters).await;
    for v in 0..voters {
        assert_eq!(
            stored[&format!("{v:x}")],
            ["a", "b"][(rounds - 1 + v) % 2],
            "voter {v:x}"
        );
    }
    for port in ports {
        let processed = metric(port, "worker_votes_processed_total").await
            + metric(port, "worker_votes_superseded_total").await;
        assert!(processed > 0.0, "the worker on {port} processed no vote");
    }
}

/// Two workers with tiny takes race on one voter's 2000 votes: every take
/// of either holds some, and still the last one queued is what stays.
#[tokio::test]
async fn two_workers_racing_on_one_voter_keep_the_last_vote() {
    let backends = Backends::start().await;
    let (w1, w2) = (
        backends.worker("w1", 3).await,
        backends.worker("w2", 3).await,
    );
    let messages: Vec<String> = (0..2000)
        .map(|i| {
            let choice = ["a", "b"][i % 2];
            if i % 5 == 0 {
                original("hot", choice)
            } else {
                vote("hot", choice, 1_000_000 - i as i64)
            }
        })
        .chain(std::iter::once(vote("hot", "a", 0)))
        .collect();
    for chunk in messages.chunks(100) {
        backends.push(chunk).await;
    }
    let stored = backends.wait_stored(1).await;
    assert_eq!(stored["hot"], "a");
    w1.stop().await.unwrap();
    w2.stop().await.unwrap();
}

//! Votes reach the queue, and the report counts them as the service saw them.

use std::collections::HashSet;

use loadgen::{Limit, Pace, VoteLoad, Voters};

use crate::helpers::Stack;

#[tokio::test]
async fn every_acknowledged_vote_is_queued_once_and_recorded() {
    let stack = Stack::vote_only().await;
    let report = VoteLoad::new(&stack.vote_url)
        .connections(8)
        .limit(Limit::Count(2000))
        .record_voters()
        .start()
        .await
        .unwrap()
        .wait()
        .await;
    assert_eq!(report.acknowledged, 2000, "{report}");
    assert_eq!(report.ok, 2000);
    assert_eq!(report.error_count(), 0);
    assert_eq!(report.latency.samples, 2000);
    let queued = stack.queued_voters().await;
    assert_eq!(queued.len(), 2000);
    let queued: HashSet<String> = queued.into_iter().collect();
    let recorded: HashSet<String> = report.acknowledged_voters.into_iter().collect();
    assert_eq!(queued.len(), 2000, "every voter is new");
    assert_eq!(queued, recorded);
}

#[tokio::test]
async fn a_fixed_rate_sends_every_scheduled_vote() {
    let stack = Stack::vote_only().await;
    let report = VoteLoad::new(&stack.vote_url)
        .connections(4)
        .pace(Pace::Rate(400.0))
        .limit(Limit::Count(200))
        .start()
        .await
        .unwrap()
        .wait()
        .await;
    assert_eq!(report.acknowledged, 200, "{report}");
    assert_eq!(stack.queued_voters().await.len(), 200);
    assert_eq!(report.pace, "400/s");
}

#[tokio::test]
async fn reused_voters_vote_again() {
    let stack = Stack::vote_only().await;
    let report = VoteLoad::new(&stack.vote_url)
        .connections(2)
        .voters(Voters::Reuse(5))
        .limit(Limit::Count(50))
        .start()
        .await
        .unwrap()
        .wait()
        .await;
    assert_eq!(report.acknowledged, 50);
    let voters: HashSet<String> = stack.queued_voters().await.into_iter().collect();
    assert_eq!(voters.len(), 5);
}

#[tokio::test]
async fn refusals_and_unreachable_services_are_counted_by_kind() {
    let mut stack = Stack::vote_only().await;
    stack.redis.stop().await;
    let refused = VoteLoad::new(&stack.vote_url)
        .connections(2)
        .limit(Limit::Count(10))
        .start()
        .await
        .unwrap()
        .wait()
        .await;
    assert_eq!(refused.acknowledged, 0);
    assert_eq!(refused.errors.get("http_503"), Some(&10), "{refused}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let unreachable = VoteLoad::new(url)
        .connections(1)
        .limit(Limit::Count(3))
        .start()
        .await
        .unwrap()
        .wait()
        .await;
    assert_eq!(unreachable.errors.get("connect"), Some(&3), "{unreachable}");
}

#[tokio::test]
async fn a_load_until_finished_stops_when_told() {
    let stack = Stack::vote_only().await;
    let running = VoteLoad::new(&stack.vote_url)
        .connections(4)
        .start()
        .await
        .unwrap();
    testkit::eventually("some votes", crate::helpers::PATIENCE, || async {
        (running.progress().acknowledged >= 100).then_some(())
    })
    .await;
    let report = running.finish().await;
    assert!(report.acknowledged >= 100);
    assert_eq!(
        stack.queued_voters().await.len() as u64,
        report.acknowledged
    );
}

#[tokio::test]
async fn bad_settings_are_refused_before_anything_is_sent() {
    for (load, reason) in [
        (
            VoteLoad::new("http://127.0.0.1:1/").connections(0),
            "connections",
        ),
        (
            VoteLoad::new("http://127.0.0.1:1/").pace(Pace::Rate(0.0)),
            "rate",
        ),
        (VoteLoad::new("ftp://127.0.0.1:1/"), "not supported"),
    ] {
        let error = load.start().await.err().expect("refused").to_string();
        assert!(error.contains(reason), "{error}");
    }
}

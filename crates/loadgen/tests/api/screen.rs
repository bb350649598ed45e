//! Vote-to-screen: every acknowledged vote shows up on the result page.

use loadgen::{Limit, Pace, ScreenFrom, ScreenProbe, VoteLoad, Voters};

use crate::helpers::Stack;

#[tokio::test]
async fn every_acknowledged_vote_reaches_the_screen() {
    let stack = Stack::full().await;
    let probe = ScreenProbe::connect(&stack.events_url(), ScreenFrom::Ack)
        .await
        .unwrap();
    assert_eq!(probe.baseline(), 0);
    let report = VoteLoad::new(&stack.vote_url)
        .connections(4)
        .pace(Pace::Rate(300.0))
        .limit(Limit::Count(300))
        .screen(probe)
        .start()
        .await
        .unwrap()
        .wait()
        .await;
    assert_eq!(report.acknowledged, 300, "{report}");
    let screen = report.screen.expect("a screen report");
    assert_eq!((screen.shown, screen.missing), (300, 0), "{screen}");
    assert_eq!(screen.latency.samples, 300);
    assert!(screen.events >= 1);
}

#[tokio::test]
async fn the_screen_needs_unique_voters() {
    let stack = Stack::full().await;
    let probe = ScreenProbe::connect(&stack.events_url(), ScreenFrom::Send)
        .await
        .unwrap();
    let error = VoteLoad::new(&stack.vote_url)
        .voters(Voters::Reuse(3))
        .screen(probe)
        .start()
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("unique voters"), "{error}");
}

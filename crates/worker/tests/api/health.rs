//! `/healthz` of an idle worker: healthy as soon as both backends answer,
//! not only after the first vote (Docker and Swarm wait for it to deploy).

use crate::helpers::Backends;

#[tokio::test]
async fn an_idle_worker_is_healthy_before_the_first_vote() {
    let backends = Backends::start().await;
    let worker = backends.worker("w1", 10).await;
    testkit::eventually(
        "the idle worker to be healthy",
        testkit::DEFAULT_DEADLINE,
        || async { (worker.health().await == 200).then_some(()) },
    )
    .await;
    assert_eq!(backends.list_len("votes").await, 0, "no vote was needed");
    worker.stop().await.unwrap();
}

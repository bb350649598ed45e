//! Idle event-stream clients stay connected and each sees every change.

use loadgen::{IdleClients, Limit, VoteLoad};

use crate::helpers::{PATIENCE, Stack};

#[tokio::test]
async fn idle_clients_hold_streams_and_see_changes() {
    let stack = Stack::full().await;
    let clients = IdleClients::open(&stack.events_url(), 50).await.unwrap();
    assert_eq!(clients.open_now(), 50);
    let first = clients.events();
    assert_eq!(first, 50, "each client has its first tally");
    VoteLoad::new(&stack.vote_url)
        .connections(1)
        .limit(Limit::Count(1))
        .start()
        .await
        .unwrap()
        .wait()
        .await;
    testkit::eventually("every client to see the vote", PATIENCE, || async {
        (clients.events() >= first + 50).then_some(())
    })
    .await;
    let report = clients.close().await;
    assert_eq!((report.requested, report.open), (50, 50));
    assert!(report.failures.is_empty(), "{:?}", report.failures);
}

#[tokio::test]
async fn clients_of_a_missing_server_fail_to_connect() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/events", closed.local_addr().unwrap());
    drop(closed);
    let clients = IdleClients::open(&url, 3).await.unwrap();
    let report = clients.close().await;
    assert_eq!(report.open, 0);
    assert_eq!(report.failures.get("connect"), Some(&3));
}

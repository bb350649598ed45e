//! Messages the worker cannot use go to `votes:dead` with the reason, and the
//! worker goes on.

use voting::queue::DeadLetter;

use crate::helpers::{Backends, vote};

#[tokio::test]
async fn poison_messages_land_in_the_dead_letter_list() {
    let backends = Backends::start().await;
    let worker = backends.worker("w1", 100).await;
    let long_id = "x".repeat(300);
    let poison = [
        "{this is not json".to_owned(),
        r#"{"vote":"a"}"#.to_owned(),
        r#"{"voter_id":"v9","vote":"c"}"#.to_owned(),
        format!(r#"{{"voter_id":"{long_id}","vote":"a"}}"#),
        format!(
            r#"{{"voter_id":"v8","vote":"a","pad":"{}"}}"#,
            "p".repeat(5000)
        ),
    ];
    let mut messages = vec![vote("good1", "a", 1)];
    messages.extend(poison.iter().cloned());
    messages.push(vote("good2", "b", 1));
    backends.push(&messages).await;

    let stored = backends.wait_stored(2).await;
    assert_eq!(stored["good1"], "a");
    assert_eq!(stored["good2"], "b");
    let dead: Vec<DeadLetter> = backends
        .list("votes:dead")
        .await
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let messages: Vec<&str> = dead.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        poison.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let reasons: Vec<&str> = dead.iter().map(|d| d.reason.as_str()).collect();
    assert!(reasons[0].starts_with("not a vote message"), "{reasons:?}");
    assert_eq!(reasons[1], r#"missing field "voter_id""#);
    assert!(reasons[2].contains("unknown option"));
    assert!(reasons[3].contains("longer than 255"));
    assert!(reasons[4].contains("more than the limit"));
    assert!(dead.iter().all(|d| d.worker == "w1"));

    // The worker goes on.
    backends.push(&[vote("good3", "a", 1)]).await;
    backends.wait_stored(3).await;
    worker.stop().await.unwrap();
}

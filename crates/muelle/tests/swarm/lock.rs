//! The deploy lock on a real swarm: a second deploy is refused with who
//! holds it, a release lets the next one in, and a lock left by a crashed
//! deploy is taken over once it expired.

use std::collections::HashMap;

use base64::Engine as _;
use bollard::models::ConfigSpec;
use muelle::swarm::{Error, lock};

use crate::node::Node;

pub async fn one_deploy_at_a_time(node: &Node) {
    let stack = format!("{}locked", node.id);
    let first = lock::acquire(
        &node.docker,
        &stack,
        "alice@laptop pid 123",
        "muelle deploy",
    )
    .await
    .expect("the first deploy takes the lock");
    let refused = lock::acquire(
        &node.docker,
        &stack,
        "bob@desk pid 456",
        "muelle update vote",
    )
    .await
    .err()
    .expect("a second deploy is refused");
    assert!(matches!(refused, Error::Locked { .. }));
    let text = refused.to_string();
    assert!(
        text.starts_with(&format!("a deploy of {stack} is already running (alice@laptop pid 123, since 20"))
            && text.ends_with(&format!(
                "`muelle deploy`); wait for it, or remove a stale lock with `docker config rm muelle-deploy-lock-{stack}`"
            )),
        "{text}"
    );
    assert!(!refused.is_usage(), "a busy stack is not bad input");
    first.release().await.expect("releasing the lock");

    let second = lock::acquire(
        &node.docker,
        &stack,
        "bob@desk pid 456",
        "muelle update vote",
    )
    .await
    .expect("the lock is free after a release");
    drop(second);
    // Dropped on an error path: released in the background.
    let started = std::time::Instant::now();
    let third = loop {
        match lock::acquire(&node.docker, &stack, "erin@box pid 9", "muelle deploy").await {
            Ok(lock) => break lock,
            Err(e) => assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "a dropped lock was not released: {e}"
            ),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    third.release().await.expect("releasing the lock");

    // A deploy that crashed 16 minutes ago left its lock behind.
    let taken = (std::time::SystemTime::now() - std::time::Duration::from_secs(16 * 60))
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a time after 1970")
        .as_secs();
    let labels = HashMap::from([
        ("muelle.lock.holder".to_owned(), "carol@ci pid 1".to_owned()),
        ("muelle.lock.epoch".to_owned(), taken.to_string()),
    ]);
    node.docker
        .create_config(ConfigSpec {
            name: Some(lock::name(&stack)),
            labels: Some(labels),
            data: Some(base64::engine::general_purpose::STANDARD.encode("crashed")),
            ..Default::default()
        })
        .await
        .expect("a lock left by a crashed deploy");
    let taken_over = lock::acquire(&node.docker, &stack, "dave@laptop pid 789", "muelle deploy")
        .await
        .expect("an expired lock is taken over");
    taken_over.release().await.expect("releasing the lock");
}

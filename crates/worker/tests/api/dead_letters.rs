//! Messages the worker cannot use go to `votes:dead` with the reason, and the
//! worker goes on.

use voting::queue::{DEAD_PREFIX_BYTES, DeadLetter};

use crate::helpers::{Backends, vote};

/// A dead letter keeps the message as taken, with the stamp the take added
/// (its place in the queue); this is the message as it was pushed.
fn unstamped(message: &str) -> &str {
    match message.rfind(r#","queue_seq":"#) {
        Some(at) if message.ends_with('}') => &message[..at],
        _ => message,
    }
}

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
    // The over-long one is filed as it is taken, the others once the batch commits.
    let (long, short) = dead.split_first().unwrap();
    assert_eq!(long.size, Some(poison[4].len() as u64));
    assert_eq!(long.message, poison[4][..DEAD_PREFIX_BYTES]);
    assert!(
        long.reason.contains("more than the limit"),
        "{}",
        long.reason
    );
    let messages: Vec<&str> = short.iter().map(|d| unstamped(&d.message)).collect();
    assert_eq!(
        messages,
        poison[..4]
            .iter()
            .map(|p| p.strip_suffix('}').unwrap_or(p))
            .collect::<Vec<_>>()
    );
    let reasons: Vec<&str> = short.iter().map(|d| d.reason.as_str()).collect();
    assert!(reasons[0].starts_with("not a vote message"), "{reasons:?}");
    assert_eq!(reasons[1], r#"missing field "voter_id""#);
    assert!(reasons[2].contains("unknown option"));
    assert!(reasons[3].contains("longer than 255"));
    assert!(dead.iter().all(|d| d.worker == "w1"));

    // The worker goes on.
    backends.push(&[vote("good3", "a", 1)]).await;
    backends.wait_stored(3).await;
    worker.stop().await.unwrap();
}

/// The size of the messages another producer floods the queue with.
const HUGE: usize = 1024 * 1024;

/// The worker's peak memory (VmHWM) in bytes, read from /proc.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/<pid>/status");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// 200 messages of 1 MB once took the worker to 674 MB and were kept whole
/// in `votes:dead`. Now a take reads a bounded number of bytes, an over-long
/// message never reaches the worker, and its dead letter keeps a prefix.
#[tokio::test]
async fn huge_messages_keep_the_worker_small_and_leave_a_short_dead_letter() {
    let backends = Backends::start().await;
    let huge = format!(
        r#"{{"voter_id":"big","vote":"a","pad":"{}"}}"#,
        "p".repeat(HUGE)
    );
    // The whole flood waits in the queue before the worker starts.
    for _ in 0..200 {
        backends.push(std::slice::from_ref(&huge)).await;
    }
    backends.push(&[vote("after", "b", 1)]).await;
    let worker = backends.worker_process("w1", 1000);
    let pid = worker.id().expect("running");
    let stored = backends.wait_stored(1).await;
    assert_eq!(stored["after"], "b");
    let dead = backends.list("votes:dead").await;
    assert_eq!(dead.len(), 200);
    for letter in &dead {
        assert!(
            letter.len() < 1024,
            "a dead letter of {} bytes",
            letter.len()
        );
        let letter: DeadLetter = serde_json::from_str(letter).unwrap();
        assert_eq!(letter.size, Some(huge.len() as u64));
        assert_eq!(letter.message, huge[..DEAD_PREFIX_BYTES]);
        assert!(
            letter.reason.contains("more than the limit"),
            "{}",
            letter.reason
        );
    }
    // A take holds about MAX_TAKE_BYTES; the flood itself was 200 MB.
    let peak = peak_rss(pid);
    assert!(
        peak < 64 * HUGE as u64,
        "the worker peaked at {} MB",
        peak / HUGE as u64
    );
}

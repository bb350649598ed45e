//! The queue between `vote` and `worker`: Redis keys and the message format.
//!
//! The format is the original app's (`RPUSH votes {"voter_id": …, "vote": …}`)
//! plus one field, `ts`, the time the vote was cast in microseconds since the
//! Unix epoch. Workers order a voter's votes by it, so the last vote wins even
//! when two workers hold votes of the same voter. Messages without `ts` (from
//! the original vote app) are still accepted.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::ballot::{Choice, MAX_STORED_VOTER_ID_LEN};

/// The list `vote` pushes to and `worker` takes from, as in the original app.
pub const QUEUE_KEY: &str = "votes";
/// Messages a worker could not use, each wrapped with the reason.
pub const DEAD_LETTER_KEY: &str = "votes:dead";
/// The set of worker ids that may own a processing list.
pub const WORKERS_KEY: &str = "votes:workers";

/// The longest message a worker will read. Real votes are under 100 bytes;
/// extra fields are allowed, but not without bound.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// The list where a worker keeps the votes it holds until they are committed.
pub fn processing_key(worker_id: &str) -> String {
    format!("votes:processing:{worker_id}")
}

/// The key whose expiry tells that a worker is gone and its votes can be taken over.
pub fn heartbeat_key(worker_id: &str) -> String {
    format!("votes:heartbeat:{worker_id}")
}

/// A vote as it travels through the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedVote {
    /// Who voted; one row per voter in the database.
    pub voter_id: String,
    /// What they chose.
    pub choice: Choice,
    /// When they voted (µs since the epoch), if the sender said so.
    pub ts: Option<i64>,
}

#[derive(Serialize)]
struct WireOut<'a> {
    voter_id: &'a str,
    vote: &'a str,
    ts: i64,
}

#[derive(Deserialize)]
struct WireIn<'a> {
    #[serde(borrow)]
    voter_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    vote: Option<std::borrow::Cow<'a, str>>,
    ts: Option<i64>,
}

/// Why a message cannot become a vote. The text goes into the dead-letter list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Larger than [`MAX_MESSAGE_BYTES`].
    #[error("message is {len} bytes, more than the limit of {MAX_MESSAGE_BYTES}")]
    TooLong {
        /// The message's size in bytes.
        len: usize,
    },
    /// Not a JSON object of the expected shape.
    #[error("not a vote message: {0}")]
    Malformed(String),
    /// A required field is absent.
    #[error("missing field {0:?}")]
    MissingField(&'static str),
    /// `vote` is neither `a` nor `b`.
    #[error("unknown option {0:?}, expected \"a\" or \"b\"")]
    UnknownOption(String),
    /// `voter_id` cannot be stored.
    #[error("voter_id {0}")]
    BadVoterId(&'static str),
}

impl QueuedVote {
    /// The JSON that `vote` pushes, readable by the original worker too.
    pub fn encode(voter_id: &str, choice: Choice, ts: i64) -> String {
        let wire = WireOut {
            voter_id,
            vote: choice.as_str(),
            ts,
        };
        serde_json::to_string(&wire).expect("a struct of strings and integers serializes")
    }

    /// Reads a message from the queue, from our vote app or the original one.
    pub fn decode(raw: &[u8]) -> Result<QueuedVote, Rejection> {
        if raw.len() > MAX_MESSAGE_BYTES {
            return Err(Rejection::TooLong { len: raw.len() });
        }
        let wire: WireIn<'_> =
            serde_json::from_slice(raw).map_err(|e| Rejection::Malformed(e.to_string()))?;
        let voter_id = wire.voter_id.ok_or(Rejection::MissingField("voter_id"))?;
        let vote = wire.vote.ok_or(Rejection::MissingField("vote"))?;
        let choice = Choice::parse(&vote).ok_or_else(|| Rejection::UnknownOption(vote.into()))?;
        check_stored_voter_id(&voter_id)?;
        Ok(QueuedVote {
            voter_id: voter_id.into_owned(),
            choice,
            ts: wire.ts,
        })
    }
}

/// Any id the `votes.id` column can hold is accepted, not only hex: the queue
/// may have other producers than our vote page.
fn check_stored_voter_id(id: &str) -> Result<(), Rejection> {
    if id.is_empty() {
        return Err(Rejection::BadVoterId("is empty"));
    }
    if id.chars().count() > MAX_STORED_VOTER_ID_LEN {
        return Err(Rejection::BadVoterId("is longer than 255 characters"));
    }
    if id.chars().any(char::is_control) {
        return Err(Rejection::BadVoterId("contains control characters"));
    }
    Ok(())
}

/// A message moved aside, with why and by whom, as stored in [`DEAD_LETTER_KEY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Why the message was refused.
    pub reason: String,
    /// The message as it was queued (invalid UTF-8 replaced).
    pub message: String,
    /// The worker that refused it.
    pub worker: String,
    /// When, in µs since the epoch.
    pub at: i64,
}

/// Microseconds since the Unix epoch, strictly increasing within this process,
/// so that two votes cast by one voter in the same microsecond keep their order.
pub fn timestamp_micros() -> i64 {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_messages_round_trip() {
        let raw = QueuedVote::encode("abc123", Choice::B, 42);
        assert_eq!(raw, r#"{"voter_id":"abc123","vote":"b","ts":42}"#);
        let vote = QueuedVote::decode(raw.as_bytes()).unwrap();
        assert_eq!(
            vote,
            QueuedVote {
                voter_id: "abc123".into(),
                choice: Choice::B,
                ts: Some(42)
            }
        );
    }

    #[test]
    fn the_original_apps_messages_are_accepted() {
        // Exactly what the Python vote app sends: json.dumps with spaces, no ts.
        let raw = br#"{"voter_id": "6c3b0e2ffa1ba2f", "vote": "a"}"#;
        let vote = QueuedVote::decode(raw).unwrap();
        assert_eq!(vote.voter_id, "6c3b0e2ffa1ba2f");
        assert_eq!(vote.choice, Choice::A);
        assert_eq!(vote.ts, None);
    }

    #[test]
    fn extra_fields_are_ignored() {
        let raw = br#"{"voter_id":"x","vote":"a","ts":1,"source":"kiosk"}"#;
        assert!(QueuedVote::decode(raw).is_ok());
    }

    #[test]
    fn unusable_messages_say_why() {
        let cases: &[(&[u8], &str)] = &[
            (b"not json", "not a vote message"),
            (b"[1,2]", "not a vote message"),
            (br#"{"vote":"a"}"#, "missing field \"voter_id\""),
            (br#"{"voter_id":"x"}"#, "missing field \"vote\""),
            (br#"{"voter_id":"x","vote":"c"}"#, "unknown option \"c\""),
            (br#"{"voter_id":7,"vote":"a"}"#, "not a vote message"),
            (br#"{"voter_id":"","vote":"a"}"#, "voter_id is empty"),
            (br#"{"voter_id":"x\n","vote":"a"}"#, "control characters"),
            (
                br#"{"voter_id":"x","vote":"a","ts":"soon"}"#,
                "not a vote message",
            ),
        ];
        for (raw, reason) in cases {
            let err = QueuedVote::decode(raw).unwrap_err().to_string();
            assert!(
                err.contains(reason),
                "{:?}: {err}",
                String::from_utf8_lossy(raw)
            );
        }
        let long_id = format!(r#"{{"voter_id":"{}","vote":"a"}}"#, "x".repeat(256));
        let err = QueuedVote::decode(long_id.as_bytes()).unwrap_err();
        assert_eq!(err, Rejection::BadVoterId("is longer than 255 characters"));
        let huge = vec![b' '; MAX_MESSAGE_BYTES + 1];
        assert!(matches!(
            QueuedVote::decode(&huge),
            Err(Rejection::TooLong { .. })
        ));
    }

    #[test]
    fn timestamps_strictly_increase() {
        let mut last = 0;
        for _ in 0..10_000 {
            let ts = timestamp_micros();
            assert!(ts > last);
            last = ts;
        }
    }
}

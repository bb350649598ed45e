//! The queue between `vote` and `worker`: Redis keys and the message format.
//!
//! The format is the original app's (`RPUSH votes {"voter_id": …, "vote": …}`)
//! plus two fields:
//! - `ts`, when the vote replica says the vote was cast (µs since the Unix
//!   epoch), kept as information only: replicas' clocks differ;
//! - `queue_seq`, the vote's place in the order Redis accepted the votes,
//!   added by the worker's take as the object's last member (JSON readers
//!   keep the last of repeated keys). Workers order a voter's votes by it, so
//!   the last vote wins whichever replica took it and whichever worker holds it.
//!
//! Messages of the original vote app (neither field) are ordered the same way.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use std::borrow::Cow;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::ballot::{Choice, MAX_STORED_VOTER_ID_LEN};

/// The list `vote` pushes to and `worker` takes from, as in the original app.
pub const QUEUE_KEY: &str = "votes";
/// Messages a worker could not use, each wrapped with the reason.
pub const DEAD_LETTER_KEY: &str = "votes:dead";
/// The set of worker ids that may own a processing list.
pub const WORKERS_KEY: &str = "votes:workers";
/// The counter that hands out `queue_seq`, incremented by each take.
pub const SEQUENCE_KEY: &str = "votes:seq";

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
    /// When they voted (µs since the epoch), if the sender said so; an
    /// information only, never an order.
    pub ts: Option<i64>,
    /// The place in the order Redis accepted the votes, once a worker took it.
    pub seq: Option<i64>,
}

#[derive(Serialize)]
struct WireOut<'a> {
    voter_id: &'a str,
    vote: &'a str,
    ts: i64,
}

/// The fields of a message that matter, read by hand so that the last of
/// repeated `queue_seq` keys wins and an unusable `ts` is only ignored.
#[derive(Default)]
struct WireIn<'a> {
    voter_id: Option<Cow<'a, str>>,
    vote: Option<Cow<'a, str>>,
    ts: Option<i64>,
    seq: Option<i64>,
}

impl<'de: 'a, 'a> Deserialize<'de> for WireIn<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(WireVisitor(std::marker::PhantomData))
    }
}

struct WireVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for WireVisitor<'a> {
    type Value = WireIn<'a>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object with voter_id and vote")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<WireIn<'a>, M::Error> {
        let mut wire = WireIn::default();
        while let Some(BorrowedText(key)) = map.next_key::<BorrowedText<'de>>()? {
            match key.as_ref() {
                "voter_id" if wire.voter_id.is_some() => {
                    return Err(de::Error::duplicate_field("voter_id"));
                }
                "vote" if wire.vote.is_some() => return Err(de::Error::duplicate_field("vote")),
                "voter_id" => wire.voter_id = Some(map.next_value::<BorrowedText<'de>>()?.0),
                "vote" => wire.vote = Some(map.next_value::<BorrowedText<'de>>()?.0),
                "ts" => wire.ts = map.next_value::<serde_json::Value>()?.as_i64(),
                SEQ_FIELD => wire.seq = map.next_value::<serde_json::Value>()?.as_i64(),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(wire)
    }
}

/// A key or a string field, borrowed from the message unless it has escapes.
struct BorrowedText<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for BorrowedText<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
        Text::deserialize(deserializer).map(|t| BorrowedText(t.0))
    }
}

/// The key the take adds; the worker's Lua script writes the same name.
pub const SEQ_FIELD: &str = "queue_seq";

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
            seq: wire.seq.filter(|seq| *seq > 0),
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
    /// The message as the worker took it, with the `queue_seq` it was given
    /// (invalid UTF-8 replaced); of a message over [`MAX_MESSAGE_BYTES`],
    /// only the first [`DEAD_PREFIX_BYTES`], as it was pushed.
    pub message: String,
    /// The worker that refused it.
    pub worker: String,
    /// When, in µs since the epoch.
    pub at: i64,
    /// The whole message's size in bytes (absent in older letters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// How much of an over-long message its dead letter keeps: enough to see
/// what sent it, while the dead-letter list stays small however large the
/// messages (200 messages of 1 MB used to keep 200 MB there).
pub const DEAD_PREFIX_BYTES: usize = 256;

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
                ts: Some(42),
                seq: None,
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
                br#"{"voter_id":"x","voter_id":"y","vote":"a"}"#,
                "duplicate field",
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
    fn the_last_sequence_stamp_counts_and_ts_is_only_information() {
        let raw = br#"{"voter_id":"x","vote":"a","queue_seq":99,"queue_seq":7}"#;
        assert_eq!(QueuedVote::decode(raw).unwrap().seq, Some(7));
        let nested = br#"{"voter_id":"x","vote":"a","meta":{"queue_seq":3}}"#;
        assert_eq!(QueuedVote::decode(nested).unwrap().seq, None);
        for odd in [r#""soon""#, "1.5", "9223372036854775808", "null"] {
            let raw = format!(r#"{{"voter_id":"x","vote":"a","ts":{odd},"queue_seq":{odd}}}"#);
            let vote = QueuedVote::decode(raw.as_bytes()).unwrap();
            assert_eq!((vote.ts, vote.seq), (None, None), "{odd}");
        }
        let escaped = br#"{"voter_\u0069d":"x","vote":"\u0061","queue_\u0073eq":5}"#;
        let vote = QueuedVote::decode(escaped).unwrap();
        assert_eq!(
            (vote.voter_id.as_str(), vote.choice, vote.seq),
            ("x", Choice::A, Some(5))
        );
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

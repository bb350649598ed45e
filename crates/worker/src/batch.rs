//! Turning the raw messages of one take into rows to upsert and messages to
//! set aside. Pure, so every rule is unit-tested.

use std::collections::HashMap;

use voting::ballot::Choice;
use voting::queue::{QueuedVote, Rejection, SEQ_FIELD};

/// One voter's vote, as it will be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `votes.id`.
    pub voter_id: String,
    /// `votes.vote`.
    pub choice: Choice,
    /// `votes.ts`: when the vote replica says it was cast, if it said so.
    pub ts: Option<i64>,
    /// `votes.seq`: the vote's place in the order Redis accepted the votes.
    pub seq: i64,
    /// Where the message stood in the take, to find it again if the database
    /// refuses this row.
    pub position: usize,
}

/// A message that cannot be stored, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    /// Where the message stood in the take.
    pub position: usize,
    /// Why it was refused.
    pub reason: String,
}

/// The outcome of reading one take from the queue.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// One row per voter, the latest vote of each, sorted by voter id so that
    /// concurrent workers lock rows in the same order and cannot deadlock.
    pub rows: Vec<Row>,
    /// Messages for the dead-letter list.
    pub unusable: Vec<Unusable>,
    /// Votes that a later vote of the same voter in this take replaced.
    pub superseded: usize,
    /// How many messages were taken; all of them are acknowledged together.
    pub taken: usize,
}

impl Batch {
    /// Reads `messages` as the take stamped them; of a voter's votes the one
    /// with the highest `queue_seq` wins, whatever the vote replicas' clocks say.
    pub fn read(messages: &[Vec<u8>]) -> Batch {
        let mut latest: HashMap<String, Row> = HashMap::with_capacity(messages.len());
        let mut unusable = Vec::new();
        let mut superseded = 0;
        for (position, raw) in messages.iter().enumerate() {
            let decoded = QueuedVote::decode(raw).and_then(|vote| match vote.seq {
                Some(seq) => Ok((vote, seq)),
                None => Err(Rejection::MissingField(SEQ_FIELD)),
            });
            let (vote, seq) = match decoded {
                Ok(decoded) => decoded,
                Err(rejection) => {
                    unusable.push(Unusable {
                        position,
                        reason: rejection.to_string(),
                    });
                    continue;
                }
            };
            let row = Row {
                ts: vote.ts,
                seq,
                voter_id: vote.voter_id,
                choice: vote.choice,
                position,
            };
            match latest.get_mut(&row.voter_id) {
                // Equal stamps (only a copied message has one): the later wins.
                Some(kept) if kept.seq <= row.seq => {
                    *kept = row;
                    superseded += 1;
                }
                Some(_) => superseded += 1,
                None => {
                    latest.insert(row.voter_id.clone(), row);
                }
            }
        }
        let mut rows: Vec<Row> = latest.into_values().collect();
        rows.sort_unstable_by(|a, b| a.voter_id.cmp(&b.voter_id));
        Batch {
            rows,
            unusable,
            superseded,
            taken: messages.len(),
        }
    }

    /// The rows as the four arrays [`voting::schema::UPSERT_SQL`] takes.
    pub fn columns(&self) -> Columns<'_> {
        columns(&self.rows)
    }
}

/// `$1` to `$4` of [`voting::schema::UPSERT_SQL`].
pub type Columns<'a> = (Vec<&'a str>, Vec<&'a str>, Vec<Option<i64>>, Vec<i64>);

/// Some rows as the arrays of [`voting::schema::UPSERT_SQL`].
pub fn columns(rows: &[Row]) -> Columns<'_> {
    (
        rows.iter().map(|r| r.voter_id.as_str()).collect(),
        rows.iter().map(|r| r.choice.as_str()).collect(),
        rows.iter().map(|r| r.ts).collect(),
        rows.iter().map(|r| r.seq).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(text: &str) -> Vec<u8> {
        text.as_bytes().to_vec()
    }

    #[test]
    fn the_highest_sequence_of_each_voter_wins_whatever_ts_says() {
        let messages = [
            msg(r#"{"voter_id":"v1","vote":"a","ts":10,"queue_seq":1}"#),
            msg(r#"{"voter_id":"v2","vote":"a","ts":11,"queue_seq":2}"#),
            // A replica whose clock is behind: a later vote with an older ts.
            msg(r#"{"voter_id":"v1","vote":"b","ts":5,"queue_seq":3}"#),
            // Taken before, handed back, taken again: its old stamp loses.
            msg(r#"{"voter_id":"v2","vote":"b","ts":99,"queue_seq":1}"#),
        ];
        let batch = Batch::read(&messages);
        let (ids, votes, ts, seq) = batch.columns();
        assert_eq!(ids, ["v1", "v2"]);
        assert_eq!(votes, ["b", "a"]);
        assert_eq!(ts, [Some(5), Some(11)]);
        assert_eq!(seq, [3, 2]);
        assert_eq!(batch.superseded, 2);
        assert_eq!(batch.taken, 4);
        assert!(batch.unusable.is_empty());
    }

    #[test]
    fn original_messages_are_ordered_by_their_stamps() {
        let messages = [
            msg(r#"{"voter_id": "v", "vote": "b","queue_seq":8}"#),
            msg(r#"{"voter_id": "v", "vote": "a","queue_seq":9}"#),
            msg(r#"{"voter_id": "v", "vote": "b", "ts": 9223372036854775807,"queue_seq":7}"#),
        ];
        let batch = Batch::read(&messages);
        assert_eq!(batch.rows.len(), 1);
        assert_eq!(batch.rows[0].choice, Choice::A);
        assert_eq!((batch.rows[0].ts, batch.rows[0].seq), (None, 9));
    }

    #[test]
    fn unusable_messages_are_set_aside_with_their_reason() {
        let messages = [
            msg("{not json"),
            msg(r#"{"voter_id":"ok","vote":"a","queue_seq":1}"#),
            msg(r#"{"voter_id":"x","vote":"c","queue_seq":2}"#),
            msg(r#"{"voter_id":"y","vote":"a"}"#),
        ];
        let batch = Batch::read(&messages);
        assert_eq!(batch.rows.len(), 1);
        let positions: Vec<_> = batch.unusable.iter().map(|u| u.position).collect();
        assert_eq!(positions, [0, 2, 3]);
        assert!(batch.unusable[0].reason.starts_with("not a vote message"));
        assert!(batch.unusable[1].reason.contains("unknown option"));
        assert_eq!(batch.unusable[2].reason, r#"missing field "queue_seq""#);
    }

    #[test]
    fn rows_are_sorted_by_voter_id() {
        let messages: Vec<_> = ["c", "a", "b"]
            .iter()
            .enumerate()
            .map(|(i, id)| {
                msg(&format!(
                    r#"{{"voter_id":"{id}","vote":"a","queue_seq":{}}}"#,
                    i + 1
                ))
            })
            .collect();
        let batch = Batch::read(&messages);
        assert_eq!(batch.columns().0, ["a", "b", "c"]);
    }
}

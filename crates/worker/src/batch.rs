//! Turning the raw messages of one take into rows to upsert and messages to
//! set aside. Pure, so every rule is unit-tested.

use std::collections::HashMap;

use voting::ballot::Choice;
use voting::queue::QueuedVote;

/// One voter's vote, as it will be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `votes.id`.
    pub voter_id: String,
    /// `votes.vote`.
    pub choice: Choice,
    /// `votes.ts`: when the vote was cast.
    pub ts: i64,
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
    /// Reads `messages` in queue order. Messages without a time (from the
    /// original vote app) get one from `now`, in order, so that among them
    /// too the last one queued wins.
    pub fn read(messages: &[Vec<u8>], mut now: impl FnMut() -> i64) -> Batch {
        let mut latest: HashMap<String, Row> = HashMap::with_capacity(messages.len());
        let mut unusable = Vec::new();
        let mut superseded = 0;
        for (position, raw) in messages.iter().enumerate() {
            let vote = match QueuedVote::decode(raw) {
                Ok(vote) => vote,
                Err(rejection) => {
                    unusable.push(Unusable {
                        position,
                        reason: rejection.to_string(),
                    });
                    continue;
                }
            };
            let row = Row {
                ts: vote.ts.unwrap_or_else(&mut now),
                voter_id: vote.voter_id,
                choice: vote.choice,
                position,
            };
            match latest.get_mut(&row.voter_id) {
                // Equal times: the later message in the queue wins.
                Some(kept) if kept.ts <= row.ts => {
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

    /// The rows as the three arrays [`voting::schema::UPSERT_SQL`] takes.
    pub fn columns(&self) -> (Vec<&str>, Vec<&str>, Vec<i64>) {
        let ids = self.rows.iter().map(|r| r.voter_id.as_str()).collect();
        let votes = self.rows.iter().map(|r| r.choice.as_str()).collect();
        let ts = self.rows.iter().map(|r| r.ts).collect();
        (ids, votes, ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> impl FnMut() -> i64 {
        let mut t = 1_000;
        move || {
            t += 1;
            t
        }
    }

    fn msg(text: &str) -> Vec<u8> {
        text.as_bytes().to_vec()
    }

    #[test]
    fn the_latest_vote_of_each_voter_wins() {
        let messages = [
            msg(r#"{"voter_id":"v1","vote":"a","ts":10}"#),
            msg(r#"{"voter_id":"v2","vote":"a","ts":11}"#),
            msg(r#"{"voter_id":"v1","vote":"b","ts":12}"#),
            // Older than what v2 already has: arrives late, loses.
            msg(r#"{"voter_id":"v2","vote":"b","ts":5}"#),
        ];
        let batch = Batch::read(&messages, clock());
        let (ids, votes, ts) = batch.columns();
        assert_eq!(ids, ["v1", "v2"]);
        assert_eq!(votes, ["b", "a"]);
        assert_eq!(ts, [12, 11]);
        assert_eq!(batch.superseded, 2);
        assert_eq!(batch.taken, 4);
        assert!(batch.unusable.is_empty());
    }

    #[test]
    fn equal_times_keep_queue_order() {
        let messages = [
            msg(r#"{"voter_id":"v","vote":"a","ts":7}"#),
            msg(r#"{"voter_id":"v","vote":"b","ts":7}"#),
        ];
        let batch = Batch::read(&messages, clock());
        assert_eq!(batch.rows[0].choice, Choice::B);
        assert_eq!(batch.rows[0].position, 1);
    }

    #[test]
    fn original_messages_get_times_in_queue_order() {
        let messages = [
            msg(r#"{"voter_id": "v", "vote": "b"}"#),
            msg(r#"{"voter_id": "v", "vote": "a"}"#),
        ];
        let batch = Batch::read(&messages, clock());
        assert_eq!(batch.rows.len(), 1);
        assert_eq!(batch.rows[0].choice, Choice::A);
        assert_eq!(batch.rows[0].ts, 1_002);
    }

    #[test]
    fn unusable_messages_are_set_aside_with_their_reason() {
        let messages = [
            msg("{not json"),
            msg(r#"{"voter_id":"ok","vote":"a"}"#),
            msg(r#"{"voter_id":"x","vote":"c"}"#),
        ];
        let batch = Batch::read(&messages, clock());
        assert_eq!(batch.rows.len(), 1);
        let positions: Vec<_> = batch.unusable.iter().map(|u| u.position).collect();
        assert_eq!(positions, [0, 2]);
        assert!(batch.unusable[0].reason.starts_with("not a vote message"));
        assert!(batch.unusable[1].reason.contains("unknown option"));
    }

    #[test]
    fn rows_are_sorted_by_voter_id() {
        let messages: Vec<_> = ["c", "a", "b"]
            .iter()
            .map(|id| msg(&format!(r#"{{"voter_id":"{id}","vote":"a"}}"#)))
            .collect();
        let batch = Batch::read(&messages, clock());
        assert_eq!(batch.columns().0, ["a", "b", "c"]);
    }
}

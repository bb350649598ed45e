//! What a voter can choose and who the voter is.

use std::fmt;

/// One of the two options on the ballot, as it travels on the wire (`a` or `b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Choice {
    /// The first option (`OPTION_A`, "Cats" by default).
    A,
    /// The second option (`OPTION_B`, "Dogs" by default).
    B,
}

impl Choice {
    /// Both choices, in ballot order.
    pub const ALL: [Choice; 2] = [Choice::A, Choice::B];

    /// Reads a choice from its wire form; anything but `a` or `b` is unknown.
    pub fn parse(value: &str) -> Option<Choice> {
        match value {
            "a" => Some(Choice::A),
            "b" => Some(Choice::B),
            _ => None,
        }
    }

    /// The wire form, as stored in the queue and in `votes.vote`.
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::A => "a",
            Choice::B => "b",
        }
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest voter id the vote page accepts from a cookie. The original app
/// makes ids of at most 16 hex digits; 64 leaves room for longer random ids.
pub const MAX_COOKIE_VOTER_ID_LEN: usize = 64;

/// The longest voter id the database can hold (`votes.id VARCHAR(255)`).
pub const MAX_STORED_VOTER_ID_LEN: usize = 255;

/// Why a voter id from a cookie was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoterIdError {
    /// The cookie was present but empty.
    #[error("voter_id cookie is empty")]
    Empty,
    /// The cookie was longer than [`MAX_COOKIE_VOTER_ID_LEN`].
    #[error("voter_id cookie is longer than {MAX_COOKIE_VOTER_ID_LEN} characters")]
    TooLong,
    /// The cookie held something other than lowercase hex digits.
    #[error("voter_id cookie must be lowercase hex digits")]
    NotHex,
}

/// A voter's identity, as the vote page hands it out: lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VoterId(String);

impl VoterId {
    /// A fresh random id of 16 hex digits, like the original's 64 random bits.
    pub fn random() -> VoterId {
        VoterId(format!("{:016x}", rand::random::<u64>()))
    }

    /// Checks an id that came from a `voter_id` cookie.
    pub fn parse(value: &str) -> Result<VoterId, VoterIdError> {
        if value.is_empty() {
            return Err(VoterIdError::Empty);
        }
        if value.len() > MAX_COOKIE_VOTER_ID_LEN {
            return Err(VoterIdError::TooLong);
        }
        if !value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(VoterIdError::NotHex);
        }
        Ok(VoterId(value.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VoterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The two labels shown for the options, from `OPTION_A` and `OPTION_B`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The label of [`Choice::A`].
    pub a: String,
    /// The label of [`Choice::B`].
    pub b: String,
}

impl Options {
    /// The label of one choice.
    pub fn label(&self, choice: Choice) -> &str {
        match choice {
            Choice::A => &self.a,
            Choice::B => &self.b,
        }
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            a: "Cats".into(),
            b: "Dogs".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_round_trip_their_wire_form() {
        for choice in Choice::ALL {
            assert_eq!(Choice::parse(choice.as_str()), Some(choice));
        }
        assert_eq!(Choice::parse("c"), None);
        assert_eq!(Choice::parse("A"), None);
        assert_eq!(Choice::parse(""), None);
    }

    #[test]
    fn voter_ids_must_be_short_lowercase_hex() {
        assert!(VoterId::parse("0123456789abcdef").is_ok());
        assert_eq!(VoterId::parse(""), Err(VoterIdError::Empty));
        assert_eq!(VoterId::parse("ABCDEF"), Err(VoterIdError::NotHex));
        assert_eq!(VoterId::parse("xyz"), Err(VoterIdError::NotHex));
        assert_eq!(VoterId::parse("a b"), Err(VoterIdError::NotHex));
        let long = "a".repeat(MAX_COOKIE_VOTER_ID_LEN + 1);
        assert_eq!(VoterId::parse(&long), Err(VoterIdError::TooLong));
    }

    #[test]
    fn random_ids_are_valid_and_distinct() {
        let ids: std::collections::HashSet<_> = (0..1000).map(|_| VoterId::random()).collect();
        assert_eq!(ids.len(), 1000);
        for id in ids {
            assert_eq!(VoterId::parse(id.as_str()), Ok(id.clone()));
            assert_eq!(id.as_str().len(), 16);
        }
    }
}

//! Key paths in a stack file (`services.vote.deploy.replicas`) and the line
//! each is written on. The file is read as a YAML tree before it is
//! interpolated and merged, which loses the lines; to name the line of a
//! problem found later, the original text is walked again along the key
//! path, and the parser's own position at the key is the answer. A key
//! reached through an alias is found where its anchor wrote it; one that a
//! merge key (`<<:`) brought in is found at the mapping that merged it.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A mapping's key.
    Key(String),
    /// A sequence's index.
    Index(usize),
}

/// A key path from the top of a stack file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Segment>);

impl KeyPath {
    /// The path of `keys`, all mapping keys.
    pub fn of(keys: &[&str]) -> KeyPath {
        KeyPath(keys.iter().map(|k| Segment::Key((*k).to_owned())).collect())
    }

    /// This path with one more key.
    pub fn key(&self, key: &str) -> KeyPath {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.to_owned()));
        path
    }

    /// This path with one more index.
    pub fn index(&self, index: usize) -> KeyPath {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }

    /// The path serde_path_to_error recorded.
    pub fn from_serde(path: &serde_path_to_error::Path) -> KeyPath {
        use serde_path_to_error::Segment as S;
        KeyPath(
            path.iter()
                .filter_map(|segment| match segment {
                    S::Seq { index } => Some(Segment::Index(*index)),
                    S::Map { key } => Some(Segment::Key(key.clone())),
                    S::Enum { .. } | S::Unknown => None,
                })
                .collect(),
        )
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The line (from 1) of the deepest part of `path` written in `text`.
pub fn line_of(text: &str, path: &KeyPath) -> Option<usize> {
    (0..=path.0.len())
        .rev()
        .find_map(|len| exact_line(text, &path.0[..len]))
}

/// The message the probe stops the parser with once it stands on the key.
const FOUND: &str = "muelle: the key is here";

/// The line of exactly `path`, if the text has it.
fn exact_line(text: &str, path: &[Segment]) -> Option<usize> {
    let deserializer = serde_yaml_ng::Deserializer::from_str(text);
    match (Probe { path }).deserialize(deserializer) {
        Err(e) if e.to_string().contains(FOUND) => e.location().map(|l| l.line()),
        _ => None,
    }
}

/// Walks down to `path` and fails there, so the error carries the position.
struct Probe<'a> {
    path: &'a [Segment],
}

impl<'de> DeserializeSeed<'de> for Probe<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Probe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let Some((Segment::Key(want), rest)) = self.path.split_first() else {
            return self.here();
        };
        while let Some(matched) = map.next_key_seed(KeyProbe {
            want,
            last: rest.is_empty(),
        })? {
            if matched {
                return map.next_value_seed(Probe { path: rest });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let Some((Segment::Index(want), rest)) = self.path.split_first() else {
            return self.here();
        };
        let mut index = 0;
        while index < *want {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
            index += 1;
        }
        seq.next_element_seed(Probe { path: rest }).map(|_| ())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.here()
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.here()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.here()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.here()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.here()
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.here()
    }
}

impl Probe<'_> {
    /// Stops at this node when the path ends here; a path that goes on
    /// below a scalar is not in the text.
    fn here<E: de::Error>(&self) -> Result<(), E> {
        if self.path.is_empty() {
            Err(E::custom(FOUND))
        } else {
            Ok(())
        }
    }
}

/// Reads one mapping key: whether it is the one wanted, failing on it when
/// it ends the path (the key's own line, not its value's).
struct KeyProbe<'a> {
    want: &'a str,
    last: bool,
}

impl<'de> DeserializeSeed<'de> for KeyProbe<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyProbe<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        match key == self.want {
            true if self.last => Err(E::custom(FOUND)),
            matched => Ok(matched),
        }
    }

    fn visit_u64<E: de::Error>(self, key: u64) -> Result<bool, E> {
        self.visit_str(&key.to_string())
    }

    fn visit_i64<E: de::Error>(self, key: i64) -> Result<bool, E> {
        self.visit_str(&key.to_string())
    }

    fn visit_bool<E: de::Error>(self, key: bool) -> Result<bool, E> {
        self.visit_str(&key.to_string())
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

#[cfg(test)]
mod tests;

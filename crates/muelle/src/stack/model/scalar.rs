//! Scalar values of a stack file with their own syntax (durations, sizes,
//! CPUs, file modes) or written either as YAML numbers or as the strings
//! interpolation leaves (`replicas: ${VOTE_REPLICAS:-2}` is the string
//! `"2"`), parsed while the file is read so a bad value is an error on its
//! key and line; and the keys written in a short string or a long mapping.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};

use crate::project::duration::parse_duration;

/// A value written as a YAML scalar of any type: the parser receives its text.
struct ScalarText<T>(PhantomData<T>, &'static str, fn(&str) -> Result<T, String>);

impl<'de, T> Visitor<'de> for ScalarText<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        (self.2)(text).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
        self.visit_str(&n.to_string())
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<T, E> {
        self.visit_str(&n.to_string())
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<T, E> {
        self.visit_str(&n.to_string())
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<T, E> {
        self.visit_str(&b.to_string())
    }
}

/// Declares a newtype read from a scalar's text with `parse`.
macro_rules! scalar {
    ($(#[$doc:meta])* $name:ident($inner:ty), $expecting:literal, $parse:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(pub $inner);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let parse: fn(&str) -> Result<$inner, String> = $parse;
                d.deserialize_any(ScalarText(PhantomData, $expecting, parse)).map($name)
            }
        }
    };
}

scalar!(
    /// A string that YAML may have read as a number (`uid: 0`).
    Text(String),
    "a string",
    |t| Ok(t.to_owned())
);

scalar!(
    /// A count (`replicas`, `parallelism`, a port).
    Count(u64),
    "a whole number",
    |t| t.trim().parse().map_err(|_| format!("{t:?} is not a whole number"))
);

scalar!(
    /// A yes/no key (`attachable`, `external`, `init`, `read_only`).
    Flag(bool),
    "true or false",
    |t| match t.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "on" => Ok(true),
        "false" | "no" | "n" | "off" => Ok(false),
        _ => Err(format!("{t:?} is not true or false")),
    }
);

scalar!(
    /// A fraction (`max_failure_ratio`).
    Ratio(f64),
    "a number",
    |t| t.trim().parse().map_err(|_| format!("{t:?} is not a number"))
);

scalar!(
    /// A Go duration (`2s`, `1m30s`), as nanoseconds, as the Engine API wants it.
    Nanos(i64),
    "a duration such as 10s or 1m30s",
    |t| {
        let duration = parse_duration(t)?;
        i64::try_from(duration.as_nanos()).map_err(|_| format!("{t:?} is too long a duration"))
    }
);

scalar!(
    /// A size in bytes, written as a number or as `256M`, `1.5g`, `64kb`
    /// (powers of 1024, as Docker's `RAMInBytes` reads them).
    Bytes(i64),
    "a size such as 256M",
    parse_bytes
);

scalar!(
    /// CPUs (`"0.50"`), as the billionths the Engine API counts in.
    NanoCpus(i64),
    "a number of CPUs such as 0.5",
    |t| {
        let cpus: f64 = t
            .trim()
            .parse()
            .map_err(|_| format!("{t:?} is not a number of CPUs"))?;
        let nanos = (cpus * 1e9).round();
        if !(0.0..=i64::MAX as f64).contains(&nanos) {
            return Err(format!("{t:?} is not a number of CPUs"));
        }
        Ok(nanos as i64)
    }
);

scalar!(
    /// A file mode (`0440`). A string is read as octal; a YAML number is
    /// taken as written (`0o440` in YAML 1.2; `0440` there is decimal 440).
    FileMode(u32),
    "a file mode such as \"0440\"",
    |t| {
        let digits = t.trim();
        let parsed = match digits.strip_prefix("0o") {
            Some(octal) => u32::from_str_radix(octal, 8),
            None if digits.starts_with('0') => u32::from_str_radix(digits, 8),
            None => digits.parse(),
        };
        parsed
            .ok()
            .filter(|mode| *mode <= 0o7777)
            .ok_or_else(|| format!("{t:?} is not a file mode"))
    }
);

/// Multipliers of Docker's size suffixes.
const SIZE_UNITS: [(char, u64); 5] = [
    ('k', 1 << 10),
    ('m', 1 << 20),
    ('g', 1 << 30),
    ('t', 1 << 40),
    ('p', 1 << 50),
];

/// Parses `256M`, `1.5g`, `64kb`, `512mib`, `1024` (bytes).
fn parse_bytes(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a size (write e.g. 256M or 1G)");
    let lower = text.trim().to_ascii_lowercase();
    let number_end = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, suffix) = lower.split_at(number_end);
    let suffix = suffix.trim_start();
    let suffix = suffix
        .strip_suffix("ib")
        .or_else(|| suffix.strip_suffix('b'))
        .unwrap_or(suffix);
    let multiplier = match suffix.chars().collect::<Vec<_>>().as_slice() {
        [] => 1,
        [unit] => SIZE_UNITS
            .iter()
            .find(|(u, _)| u == unit)
            .map(|(_, m)| *m)
            .ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    let value: f64 = number.parse().map_err(|_| bad())?;
    let bytes = (value * multiplier as f64).trunc();
    if !(0.0..=i64::MAX as f64).contains(&bytes) {
        return Err(bad());
    }
    Ok(bytes as i64)
}

/// A key written either as a short string (`"80:8080"`, `db-data:/data`,
/// `db_password`) or as a mapping of its parts. Reading the mapping through
/// the same deserializer keeps the key path of an error inside it.
pub trait ShortOrLong: Sized {
    /// The mapping form.
    type Long: DeserializeOwned;
    /// What a mapping or a string of this key holds, for messages.
    const EXPECTING: &'static str;
    /// Reads the short form (numbers arrive as their text).
    fn short(text: &str) -> Result<Self, String>;
    /// Takes the long form, checking what its types cannot.
    fn long(long: Self::Long) -> Result<Self, String>;
}

/// Reads a [`ShortOrLong`] key.
pub fn short_or_long<'de, D: Deserializer<'de>, T: ShortOrLong>(d: D) -> Result<T, D::Error> {
    struct Either<T>(PhantomData<T>);

    impl<'de, T: ShortOrLong> Visitor<'de> for Either<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(T::EXPECTING)
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
            T::short(text).map_err(E::custom)
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
            self.visit_str(&n.to_string())
        }

        fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<T, M::Error> {
            let long = T::Long::deserialize(de::value::MapAccessDeserializer::new(map))?;
            T::long(long).map_err(de::Error::custom)
        }
    }

    d.deserialize_any(Either(PhantomData))
}

//! Configuration from environment variables, checked once at start.
//!
//! Every service reads its settings through [`Env`], so that a bad value stops
//! the service with one line naming the variable, and so that tests can hand
//! in their own variables without touching the process environment.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::ballot::Options;

pub mod password;

/// Default of `REDIS_URL`: the host name `redis` of the original app.
pub const DEFAULT_REDIS_URL: &str = "redis://redis:6379";
/// Default of `DATABASE_URL`: the host `db` and the `postgres` user of the original app.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres:postgres@db/postgres";
/// Default of `PORT`: the original apps listen on 80 inside their containers.
pub const DEFAULT_PORT: u16 = 80;
/// The longest option label; labels are shown on pages, not stored.
pub const MAX_OPTION_LABEL_LEN: usize = 100;

/// A setting that could not be used. The message names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub name: &'static str,
    /// What is wrong with it, without echoing secrets.
    pub reason: String,
}

/// Where settings come from: the process environment, or a map in tests.
pub enum Env {
    /// The real process environment.
    Process,
    /// Only these pairs, as if they were the whole environment.
    Map(HashMap<String, String>),
}

impl Env {
    /// Reads the real process environment.
    pub fn process() -> Env {
        Env::Process
    }

    /// Reads the given pairs only, as if they were the whole environment.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Env {
        Env::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    /// The raw value of a variable, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        match self {
            Env::Process => std::env::var(name).ok(),
            Env::Map(map) => map.get(name).cloned(),
        }
    }

    /// The value of a variable, or the default when it is unset.
    pub fn string(&self, name: &'static str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_owned())
    }

    /// A variable parsed with [`FromStr`], or the default when it is unset.
    pub fn parse<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.trim().parse().map_err(|e| ConfigError {
                name,
                reason: format!("{raw:?} is not valid: {e}"),
            }),
        }
    }

    /// A duration given in whole milliseconds, or the default when it is
    /// unset; a value outside `range` is refused with the range in words.
    pub fn millis(
        &self,
        name: &'static str,
        default: Duration,
        range: RangeInclusive<Duration>,
    ) -> Result<Duration, ConfigError> {
        let default = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
        let value = Duration::from_millis(self.parse(name, default)?);
        if !range.contains(&value) {
            return Err(ConfigError {
                name,
                reason: format!(
                    "must be between {} and {} milliseconds",
                    range.start().as_millis(),
                    range.end().as_millis()
                ),
            });
        }
        Ok(value)
    }

    /// `PORT`, the port the service listens on.
    pub fn port(&self) -> Result<u16, ConfigError> {
        self.parse("PORT", DEFAULT_PORT)
    }

    /// `OPTION_A` and `OPTION_B`, the labels of the two choices.
    pub fn options(&self) -> Result<Options, ConfigError> {
        let defaults = Options::default();
        Ok(Options {
            a: self.label("OPTION_A", &defaults.a)?,
            b: self.label("OPTION_B", &defaults.b)?,
        })
    }

    fn label(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        let value = self.string(name, default);
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(ConfigError {
                name,
                reason: "must not be empty".into(),
            });
        }
        if trimmed.chars().count() > MAX_OPTION_LABEL_LEN {
            return Err(ConfigError {
                name,
                reason: format!("must be at most {MAX_OPTION_LABEL_LEN} characters"),
            });
        }
        Ok(trimmed.to_owned())
    }

    /// `REDIS_URL`, checked by the Redis client's own parser.
    pub fn redis(&self) -> Result<redis::Client, ConfigError> {
        let url = self.string("REDIS_URL", DEFAULT_REDIS_URL);
        redis::Client::open(url.as_str()).map_err(|e| ConfigError {
            name: "REDIS_URL",
            reason: format!("not a Redis URL: {e}"),
        })
    }

    /// `DATABASE_URL`, checked by the PostgreSQL client's own parser, with
    /// its password replaced by the one in `DATABASE_PASSWORD_FILE` when that
    /// is set. The value is never echoed, since it usually holds a password.
    pub fn database(&self) -> Result<tokio_postgres::Config, ConfigError> {
        let url = SecretString::from(self.string("DATABASE_URL", DEFAULT_DATABASE_URL));
        let url = match self.get(password::PASSWORD_FILE) {
            None => url,
            Some(path) => password::with_password(url.expose_secret(), &password::read(&path)?)?,
        };
        tokio_postgres::Config::from_str(url.expose_secret()).map_err(|e| ConfigError {
            name: "DATABASE_URL",
            reason: format!("not a PostgreSQL URL: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_original_app() {
        let env = Env::from_pairs([]);
        assert_eq!(env.port(), Ok(80));
        assert_eq!(env.options(), Ok(Options::default()));
        let db = env.database().unwrap();
        assert_eq!(db.get_user(), Some("postgres"));
        assert_eq!(db.get_dbname(), Some("postgres"));
        let redis = env.redis().unwrap();
        assert_eq!(redis.get_connection_info().addr().to_string(), "redis:6379");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let env = Env::from_pairs([
            ("PORT", "eighty"),
            ("OPTION_A", "  "),
            ("REDIS_URL", "http://nope"),
            ("DATABASE_URL", "postgres://u:secret@h:notaport/db"),
        ]);
        assert!(env.port().unwrap_err().to_string().starts_with("PORT: "));
        assert!(
            env.options()
                .unwrap_err()
                .to_string()
                .starts_with("OPTION_A: ")
        );
        assert!(
            env.redis()
                .unwrap_err()
                .to_string()
                .starts_with("REDIS_URL: ")
        );
        let db = env.database().unwrap_err().to_string();
        assert!(db.starts_with("DATABASE_URL: "), "{db}");
        assert!(!db.contains("secret"), "the password leaked: {db}");
    }

    #[test]
    fn the_password_file_replaces_the_password_and_stays_out_of_debug() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("db_password");
        std::fs::write(&file, "n3w@secret\n").unwrap();
        let env = Env::from_pairs([
            ("DATABASE_URL", "postgres://app:old@db/votes"),
            ("DATABASE_PASSWORD_FILE", file.to_str().unwrap()),
        ]);
        let db = env.database().unwrap();
        assert_eq!(db.get_password(), Some(&b"n3w@secret"[..]));
        assert_eq!(db.get_user(), Some("app"));
        let debug = format!("{db:?}");
        assert!(!debug.contains("n3w"), "the password leaked: {debug}");

        std::fs::remove_file(&file).unwrap();
        let error = env.database().unwrap_err().to_string();
        assert!(error.starts_with("DATABASE_PASSWORD_FILE: "), "{error}");
        assert!(error.contains(file.to_str().unwrap()), "{error}");
    }

    #[test]
    fn labels_come_from_the_environment() {
        let env = Env::from_pairs([("OPTION_A", "Tabs"), ("OPTION_B", "Spaces")]);
        let options = env.options().unwrap();
        assert_eq!((options.a.as_str(), options.b.as_str()), ("Tabs", "Spaces"));
    }
}

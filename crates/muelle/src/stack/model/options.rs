//! The container options of a service that need more than a string:
//! `ulimits` (a number or soft and hard), `extra_hosts` (lines or a
//! mapping), the health check and logging.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::StringOrList;
use super::scalar::{Count, Flag, Nanos, ShortOrLong, Text, short_or_long};

/// One of a service's `ulimits`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    /// The soft limit.
    pub soft: i64,
    /// The hard limit.
    pub hard: i64,
}

/// The long syntax of a ulimit.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongUlimit {
    soft: Count,
    hard: Count,
}

impl ShortOrLong for Ulimit {
    type Long = LongUlimit;
    const EXPECTING: &'static str = "a number or a mapping with soft and hard";

    fn short(text: &str) -> Result<Ulimit, String> {
        let limit = text
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a number"))?;
        Ok(Ulimit {
            soft: limit,
            hard: limit,
        })
    }

    fn long(long: LongUlimit) -> Result<Ulimit, String> {
        let number = |n: u64| i64::try_from(n).map_err(|_| format!("{n} is too large"));
        Ok(Ulimit {
            soft: number(long.soft.0)?,
            hard: number(long.hard.0)?,
        })
    }
}

impl<'de> Deserialize<'de> for Ulimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        short_or_long(d)
    }
}

/// `extra_hosts`: `host:ip` lines (or `host=ip`), or a mapping of host to ip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraHosts(pub Vec<String>);

impl<'de> Deserialize<'de> for ExtraHosts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Lines(Vec<String>),
            Map(BTreeMap<String, Text>),
        }
        Ok(ExtraHosts(match Written::deserialize(d)? {
            Written::Lines(lines) => lines.into_iter().map(|l| l.replacen('=', ":", 1)).collect(),
            Written::Map(map) => map
                .into_iter()
                .map(|(host, ip)| format!("{host}:{}", ip.0))
                .collect(),
        }))
    }
}

/// `healthcheck:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    /// `["CMD", …]`, `["CMD-SHELL", "…"]`, `["NONE"]` or a shell string.
    pub test: Option<StringOrList>,
    /// Time between checks.
    pub interval: Option<Nanos>,
    /// Time a check may take.
    pub timeout: Option<Nanos>,
    /// Failures in a row before unhealthy.
    pub retries: Option<Count>,
    /// Grace time after start during which failures do not count.
    pub start_period: Option<Nanos>,
    /// Time between checks during the start period.
    pub start_interval: Option<Nanos>,
    /// Turns the image's health check off.
    pub disable: Option<Flag>,
}

/// `logging:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    /// The log driver.
    pub driver: Option<String>,
    /// Its options.
    #[serde(default)]
    pub options: BTreeMap<String, Text>,
}

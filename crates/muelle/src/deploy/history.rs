//! The deploy history of an environment: `.muelle/deploys/<env>.jsonl`
//! under the project root (the lab's in its state directory, so that it
//! goes with the lab), one line per deploy, update or rollback (what
//! went out, when, by whom, from which commit, and how it ended). Swarm
//! keeps one previous spec; this is what `rollback` goes back through.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Error as DeployError;
use crate::error::Result;

/// Where the histories live, relative to the project root (git-ignored).
pub const DIRECTORY: &str = ".muelle/deploys";

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    /// `muelle deploy`.
    Deploy,
    /// `muelle update`.
    Update,
    /// `muelle rollback`.
    Rollback,
}

impl Command {
    /// The subcommand's name.
    pub fn name(self) -> &'static str {
        match self {
            Command::Deploy => "deploy",
            Command::Update => "update",
            Command::Rollback => "rollback",
        }
    }
}

/// How it ended, by the truth check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every service reached what was asked.
    Succeeded,
    /// At least one did not.
    Failed,
    /// Not followed (`--detach`), so not verified either.
    Detached,
}

/// One service's image as it went out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployed {
    /// The reference in the spec, e.g. `127.0.0.1:5000/vote@sha256:…`.
    pub image: String,
    /// The tag it was chosen by (`muelle.version`), empty when none.
    pub tag: String,
    /// Its manifest digest, empty for an image not pinned by digest.
    pub digest: String,
}

/// One deploy, update or rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, … in this environment's history.
    pub id: u64,
    /// When it ended, RFC 3339 in UTC.
    pub time: String,
    /// Who ran it: git's user, else `$USER`.
    pub user: String,
    /// The commit checked out when it ran.
    pub commit: String,
    /// What ran.
    pub command: Command,
    /// The services it rolled out, by their name in the stack.
    pub services: BTreeMap<String, Deployed>,
    /// How it ended.
    pub outcome: Outcome,
    /// One line: what converged, or which service failed and why.
    pub summary: String,
}

/// The history of one environment: the file it is kept in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    path: PathBuf,
}

impl History {
    /// `environment`'s history under the project root `root`.
    pub fn of(root: &Path, environment: &str) -> History {
        History::at(root.join(DIRECTORY).join(format!("{environment}.jsonl")))
    }

    /// The history kept in the file `path`.
    pub fn at(path: PathBuf) -> History {
        History { path }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every entry, oldest first.
    pub fn read(&self) -> Result<Vec<Entry>> {
        crate::jsonl::read(&self.path, |line, source| {
            DeployError::History {
                path: self.path.clone(),
                line,
                source,
            }
            .into()
        })
    }

    /// Appends `entry` with the next id, which it returns.
    pub fn append(&self, mut entry: Entry) -> Result<u64> {
        entry.id = self.read()?.last().map_or(1, |last| last.id + 1);
        crate::jsonl::append(&self.path, &[&entry], "deploy history")?;
        Ok(entry.id)
    }
}

/// The version before the one deployed now: the newest succeeded entry for
/// `service` whose digest differs from the newest succeeded one's.
pub fn previous<'a>(entries: &'a [Entry], service: &str) -> Option<(&'a Entry, &'a Deployed)> {
    let mut found = entries
        .iter()
        .rev()
        .filter(|e| e.outcome == Outcome::Succeeded)
        .filter_map(|e| e.services.get(service).map(|d| (e, d)));
    let (_, current) = found.next()?;
    found.find(|(_, d)| d.digest != current.digest)
}

/// The version `--to` names: a history id, a tag, or a digest (in full or
/// its first 12 hex digits, with or without `sha256:`), newest match first.
pub fn find<'a>(
    entries: &'a [Entry],
    service: &str,
    version: &str,
) -> Option<(&'a Entry, &'a Deployed)> {
    let with_service = || {
        entries
            .iter()
            .rev()
            .filter_map(move |e| e.services.get(service).map(|d| (e, d)))
    };
    if let Ok(id) = version.parse::<u64>() {
        if let Some(found) = with_service().find(|(e, _)| e.id == id) {
            return Some(found);
        }
    }
    if let Some(found) = with_service().find(|(_, d)| d.tag == version) {
        return Some(found);
    }
    let hex = version.strip_prefix("sha256:").unwrap_or(version);
    if hex.len() < 12 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    with_service().find(|(_, d)| {
        d.digest
            .strip_prefix("sha256:")
            .is_some_and(|h| h.starts_with(hex))
    })
}

#[cfg(test)]
mod tests;

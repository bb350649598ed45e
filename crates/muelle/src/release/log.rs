//! The release log: one JSON object per line in `releases/log.jsonl`, one
//! line per service of every prod push. muelle only ever appends to it (the
//! file is opened in append mode), so earlier entries stay as they were
//! written and the history lives in the repository next to the code.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Error as ReleaseError;
use crate::error::Result;

/// Where the log lives, relative to the manifest's folder.
pub const RELATIVE_PATH: &str = "releases/log.jsonl";

/// One pushed image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The service, as in the manifest.
    pub service: String,
    /// The environment pushed to.
    pub environment: String,
    /// The registry host, e.g. `registry.example.com`.
    pub registry: String,
    /// The repository in it, e.g. `team/vote`.
    pub repository: String,
    /// The date tag, unique to this push.
    pub tag: String,
    /// Every tag pushed (date, sha, maybe `latest`).
    pub tags: Vec<String>,
    /// The manifest digest the registry stored.
    pub digest: String,
    /// The full git sha built.
    pub commit: String,
    /// Whether the work tree had uncommitted changes (`--allow-dirty`).
    pub dirty: bool,
    /// Why it was released.
    pub message: String,
    /// When, RFC 3339 in UTC.
    pub time: String,
    /// Who pushed: git's user, else `$USER`.
    pub pushed_by: String,
}

impl Entry {
    /// The line written for this entry, without its newline.
    pub fn line(&self) -> String {
        // A struct of strings, a bool and a list of strings always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The log of the project rooted at `root`.
pub fn path(root: &Path) -> PathBuf {
    root.join(RELATIVE_PATH)
}

/// Appends the entries, one line each, in one write.
pub fn append(path: &Path, entries: &[Entry]) -> Result<()> {
    crate::jsonl::append(path, entries, "release log")
}

/// Every entry, oldest first; no file means no releases yet.
pub fn read(path: &Path) -> Result<Vec<Entry>> {
    crate::jsonl::read(path, |line, source| {
        ReleaseError::Log {
            path: path.to_owned(),
            line,
            source,
        }
        .into()
    })
}

/// The date tags the log says were released to `registry/repository`: a
/// prod push counts past them too, so that a release deleted from the
/// registry never has its tag given to another image.
pub fn issued_tags<'a>(
    entries: &'a [Entry],
    registry: &'a str,
    repository: &'a str,
) -> impl Iterator<Item = String> + 'a {
    entries
        .iter()
        .filter(move |e| e.registry == registry && e.repository == repository)
        .map(|e| e.tag.clone())
}

/// What the registry has now for a logged release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The tag names the logged digest.
    Present,
    /// The tag names another image now.
    Moved(String),
    /// The tag is gone.
    Missing,
}

impl Status {
    /// Compares the logged digest with the registry's answer for the tag.
    pub fn of(logged: &str, found: Option<&str>) -> Status {
        match found {
            Some(digest) if digest == logged => Status::Present,
            Some(digest) => Status::Moved(digest.to_owned()),
            None => Status::Missing,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Present => f.write_str("present"),
            Status::Moved(digest) => write!(f, "moved to {}", short_digest(digest)),
            Status::Missing => f.write_str("missing"),
        }
    }
}

/// `sha256:0123456789ab`: enough of a digest to recognise it.
pub fn short_digest(digest: &str) -> &str {
    let end = digest.find(':').map_or(12, |i| i + 13);
    &digest[..end.min(digest.len())]
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn entry(tag: &str) -> Entry {
        Entry {
            service: "vote".into(),
            environment: "prod".into(),
            registry: "registry.example.com".into(),
            repository: "team/vote".into(),
            tag: tag.into(),
            tags: vec![tag.into(), "0123456".into(), "latest".into()],
            digest: "sha256:aaaa".into(),
            commit: "0123456789abcdef".into(),
            dirty: false,
            message: "first \"release\"".into(),
            time: "2026-11-25T14:03:07Z".into(),
            pushed_by: "Jane <jane@example.com>".into(),
        }
    }

    #[test]
    fn an_entry_is_one_json_line_with_every_field() {
        assert_eq!(
            entry("20261125").line(),
            r#"{"service":"vote","environment":"prod","registry":"registry.example.com","repository":"team/vote","tag":"20261125","tags":["20261125","0123456","latest"],"digest":"sha256:aaaa","commit":"0123456789abcdef","dirty":false,"message":"first \"release\"","time":"2026-11-25T14:03:07Z","pushed_by":"Jane <jane@example.com>"}"#
        );
    }

    #[test]
    fn appending_keeps_earlier_lines_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let log = path(dir.path());
        assert!(read(&log).unwrap().is_empty());
        append(&log, &[entry("20261125")]).unwrap();
        let before = std::fs::read(&log).unwrap();
        // An edit by hand that left no newline at the end.
        std::fs::write(&log, [&before[..before.len() - 1], b" "].concat()).unwrap();
        append(&log, &[entry("20261125-2"), entry("20261126")]).unwrap();
        let after = std::fs::read(&log).unwrap();
        assert!(after.starts_with(&before[..before.len() - 1]));
        let tags: Vec<String> = read(&log).unwrap().into_iter().map(|e| e.tag).collect();
        assert_eq!(tags, ["20261125", "20261125-2", "20261126"]);
    }

    #[test]
    fn a_broken_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let log = path(dir.path());
        append(&log, &[entry("20261125")]).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .unwrap()
            .write_all(b"{oops\n")
            .unwrap();
        let err = read(&log).unwrap_err().to_string();
        assert!(err.contains("log.jsonl: line 2: "), "{err}");
    }

    #[test]
    fn issued_tags_are_those_of_the_same_registry_and_repository() {
        let mut other_repository = entry("20261125-3");
        other_repository.repository = "team/worker".into();
        let mut other_registry = entry("20261125-4");
        other_registry.registry = "other.example.com".into();
        let entries = [
            entry("20261125"),
            other_repository,
            other_registry,
            entry("20261125-2"),
        ];
        let tags: Vec<String> =
            issued_tags(&entries, "registry.example.com", "team/vote").collect();
        assert_eq!(tags, ["20261125", "20261125-2"]);
    }

    #[test]
    fn status_compares_digests() {
        assert_eq!(Status::of("sha256:a", Some("sha256:a")), Status::Present);
        assert_eq!(Status::of("sha256:a", None).to_string(), "missing");
        assert_eq!(
            Status::of("sha256:a", Some("sha256:0123456789abcdef")).to_string(),
            "moved to sha256:0123456789ab"
        );
    }
}

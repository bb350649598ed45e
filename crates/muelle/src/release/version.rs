//! How an image version is named (the thesis' push-images.sh, made
//! repeatable): a UTC date tag `yyyymmdd`, `-2`, `-3`, … when the registry
//! already has it; the git short sha (with `-dirty` for a changed work
//! tree); `latest`; and the OCI labels that say where an image came from.
//! The labels come from the commit alone (its sha, its sha tag, its time,
//! as `SOURCE_DATE_EPOCH` would), never from the push: two pushes of one
//! commit are one image with one digest, under two date tags.

use std::collections::BTreeMap;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::release::git::Commit;

/// OCI label: the commit the image was built from.
pub const REVISION: &str = "org.opencontainers.image.revision";
/// OCI label: the version, the commit's sha tag (date tags are registry tags only).
pub const VERSION: &str = "org.opencontainers.image.version";
/// OCI label: when the commit was made, RFC 3339 (the build's source date).
pub const CREATED: &str = "org.opencontainers.image.created";
/// OCI label: where the source lives (the manifest's `project.source`).
pub const SOURCE: &str = "org.opencontainers.image.source";
/// The tag that follows the newest push, unless `--no-latest`.
pub const LATEST: &str = "latest";

/// A moment, as muelle writes it in tags, labels and the release log.
#[derive(Debug, Clone, Copy)]
pub struct Stamp(pub OffsetDateTime);

impl Stamp {
    /// A commit's time.
    pub fn of(commit: &Commit) -> Stamp {
        Stamp(
            OffsetDateTime::from_unix_timestamp(commit.time).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        )
    }

    /// Now, in UTC, to the second.
    pub fn now() -> Stamp {
        let now = OffsetDateTime::now_utc();
        Stamp(now.replace_nanosecond(0).unwrap_or(now))
    }

    /// `yyyymmdd`, the date tag before any suffix.
    pub fn date(&self) -> String {
        let d = self.0.date();
        format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
    }

    /// RFC 3339, e.g. `2026-11-25T14:03:07Z`.
    pub fn rfc3339(&self) -> String {
        self.0
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.0.unix_timestamp().to_string())
    }
}

/// The date tag for a push today: `date`, or `date-N` with N one more than
/// the highest suffix among `existing`. For prod that is the registry's tags
/// and the release log's, so a deleted release's tag is never reused.
pub fn date_tag(date: &str, existing: &[String]) -> String {
    let mut highest = None;
    for tag in existing {
        if tag == date {
            highest = highest.max(Some(1));
        } else if let Some(n) = tag
            .strip_prefix(date)
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|n| n.parse::<u32>().ok())
        {
            highest = highest.max(Some(n));
        }
    }
    match highest {
        None => date.to_owned(),
        Some(n) => format!("{date}-{}", n + 1),
    }
}

/// The sha tag: the short sha, marked when the image holds uncommitted changes.
pub fn sha_tag(commit: &Commit, dirty: bool) -> String {
    if dirty {
        format!("{}-dirty", commit.short)
    } else {
        commit.short.clone()
    }
}

/// The OCI labels of an image built from `commit`, `dirty` when the work
/// tree had changes: all from the commit, so every build of it agrees.
pub fn labels(commit: &Commit, dirty: bool, source: Option<&str>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (REVISION.to_owned(), commit.sha.clone()),
        (VERSION.to_owned(), sha_tag(commit, dirty)),
        (CREATED.to_owned(), Stamp::of(commit).rfc3339()),
    ]);
    if let Some(source) = source {
        labels.insert(SOURCE.to_owned(), source.to_owned());
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_first_push_of_a_day_gets_the_bare_date() {
        assert_eq!(date_tag("20261125", &[]), "20261125");
        assert_eq!(
            date_tag(
                "20261125",
                &tags(&["20261124", "20261124-2", "latest", "20261125x"])
            ),
            "20261125"
        );
    }

    #[test]
    fn later_pushes_count_up_past_the_highest_suffix() {
        assert_eq!(date_tag("20261125", &tags(&["20261125"])), "20261125-2");
        assert_eq!(
            date_tag("20261125", &tags(&["20261125", "20261125-2"])),
            "20261125-3"
        );
        assert_eq!(
            date_tag(
                "20261125",
                &tags(&["20261125", "20261125-3", "20261125-abc"])
            ),
            "20261125-4"
        );
        assert_eq!(date_tag("20261125", &tags(&["20261125-2"])), "20261125-3");
    }

    #[test]
    fn stamps_are_utc_dates_and_rfc3339() {
        let stamp = Stamp(OffsetDateTime::from_unix_timestamp(1_795_615_387).unwrap());
        assert_eq!(stamp.date(), "20261125");
        assert_eq!(stamp.rfc3339(), "2026-11-25T14:03:07Z");
    }

    #[test]
    fn labels_name_the_commit_its_sha_tag_its_time_and_the_source() {
        let commit = Commit {
            sha: "0123456789abcdef0123456789abcdef01234567".into(),
            short: "0123456".into(),
            subject: "s".into(),
            time: 1_795_615_387,
        };
        let labels = labels(&commit, false, Some("https://example.com/x"));
        let text: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            text,
            [
                "org.opencontainers.image.created=2026-11-25T14:03:07Z",
                "org.opencontainers.image.revision=0123456789abcdef0123456789abcdef01234567",
                "org.opencontainers.image.source=https://example.com/x",
                "org.opencontainers.image.version=0123456",
            ]
        );
        assert_eq!(
            super::labels(&commit, true, None)[VERSION],
            "0123456-dirty",
            "a dirty build says so"
        );
        assert_eq!(sha_tag(&commit, false), "0123456");
        assert_eq!(sha_tag(&commit, true), "0123456-dirty");
    }
}

//! What an image version needs from git: the commit, whether the work tree
//! has changes, and who is pushing. git is run as a command, so muelle sees
//! exactly what the user's `git status` sees.

use std::path::Path;
use std::process::Command;

use super::Error as ReleaseError;
use crate::error::Result;

/// The commit being built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The full sha; it becomes the `org.opencontainers.image.revision` label.
    pub sha: String,
    /// The abbreviated sha git shows, used as an image tag.
    pub short: String,
    /// The first line of the commit message, the default release message.
    pub subject: String,
    /// The committer's time in seconds since the epoch, as `SOURCE_DATE_EPOCH`
    /// takes it: an image's `created` label, the same for every build of it.
    pub time: i64,
}

/// Runs git in `dir`; stdout on success, git's last stderr line otherwise.
fn git(dir: &Path, args: &[&str], action: &str) -> Result<String> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|source| ReleaseError::NoGit {
            action: action.to_owned(),
            source,
        })?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("git failed")
        .trim()
        .to_owned();
    Err(ReleaseError::Git {
        action: action.to_owned(),
        said: last,
    }
    .into())
}

/// The commit checked out in the repository around `dir`.
pub fn head(dir: &Path) -> Result<Commit> {
    let action = format!(
        "read the git commit of {} (image tags name it; make a commit first)",
        dir.display()
    );
    let out = git(dir, &["log", "-1", "--format=%H%n%h%n%ct%n%s"], &action)?;
    let mut lines = out.lines();
    let (Some(sha), Some(short), Some(time)) = (lines.next(), lines.next(), lines.next()) else {
        return Err(ReleaseError::NoCommit { action }.into());
    };
    let Ok(time) = time.trim().parse() else {
        return Err(ReleaseError::NoCommit { action }.into());
    };
    Ok(Commit {
        sha: sha.trim().to_owned(),
        short: short.trim().to_owned(),
        subject: lines.next().unwrap_or_default().trim().to_owned(),
        time,
    })
}

/// The changed and untracked paths of the work tree, except `ignore` (the
/// release log, which a prod push itself changes).
pub fn changes(dir: &Path, ignore: &Path) -> Result<Vec<String>> {
    let exclude = format!(":(exclude){}", ignore.display());
    let out = git(
        dir,
        &["status", "--porcelain", "--", ":/", &exclude],
        "read the state of the git work tree",
    )?;
    Ok(out
        .lines()
        .filter_map(|l| l.get(3..))
        .map(str::to_owned)
        .collect())
}

/// Who is pushing, for the release log: git's user, else `$USER`.
pub fn user(dir: &Path) -> String {
    let config = |key: &str| {
        git(dir, &["config", key], "")
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    match (config("user.name"), config("user.email")) {
        (Some(name), Some(email)) => format!("{name} <{email}>"),
        (Some(name), None) => name,
        (None, Some(email)) => email,
        (None, None) => std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
    }
}

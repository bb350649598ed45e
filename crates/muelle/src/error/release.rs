//! What can go wrong reading git or the release log, each kind with what
//! its one-line message needs.

use std::path::PathBuf;

/// A failure of git or of the release log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// git could not be started.
    #[error("cannot {action}: cannot run git ({source}); install git")]
    NoGit {
        /// What was being attempted.
        action: String,
        /// Why git did not start.
        source: std::io::Error,
    },
    /// git ran and failed.
    #[error("cannot {action}: {said}")]
    Git {
        /// What was being attempted, and what to do.
        action: String,
        /// git's last line on stderr.
        said: String,
    },
    /// `git log` printed no commit.
    #[error("cannot {action}: git printed no commit")]
    NoCommit {
        /// What was being attempted.
        action: String,
    },
    /// A line of the release log is not an entry.
    #[error("{}: line {line}: {source}", .path.display())]
    Log {
        /// The log file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// Why it does not parse.
        source: serde_json::Error,
    },
}

//! Why the feed lost (or never had) its database, in words an operator can
//! act on: `/healthz` and the log show these.

use std::time::Duration;

/// Why the feed lost (or never had) its database.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FeedError {
    /// The connection could not be opened.
    #[error("cannot connect to PostgreSQL: {}", server_says(.0))]
    Connect(#[source] tokio_postgres::Error),
    /// The `votes` table could not be made sure of.
    #[error("cannot create the votes table: {}", server_says(.0))]
    Schema(#[source] tokio_postgres::Error),
    /// `LISTEN votes_changed` or preparing the count failed.
    #[error("cannot listen for vote changes: {}", server_says(.0))]
    Listen(#[source] tokio_postgres::Error),
    /// The count query failed.
    #[error("counting the votes failed: {}", server_says(.0))]
    Count(#[source] tokio_postgres::Error),
    /// Checking the tally against the table failed.
    #[error("reconciling the vote tally with the votes table failed: {}", server_says(.0))]
    Reconcile(#[source] tokio_postgres::Error),
    /// A step took longer than it may.
    #[error("PostgreSQL did not answer within {1:?} while {0}")]
    Timeout(&'static str, Duration),
    /// The connection broke.
    #[error("lost the PostgreSQL connection: {}", server_says(.0))]
    Lost(#[source] tokio_postgres::Error),
    /// The server closed the connection.
    #[error("PostgreSQL closed the connection")]
    Closed,
}

/// What went wrong, in one line: tokio-postgres shows only "db error" for
/// anything the server refused, and keeps the server's message (say,
/// "permission denied for schema public") and an I/O error's cause in its
/// source.
pub(crate) fn server_says(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return db.message().to_owned();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

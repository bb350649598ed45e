//! Where the counts come from: `vote_tally` where result may keep one, the
//! original app's query otherwise.
//!
//! An operator who swaps in our result for the original one may give it the
//! original's rights: a database user that may only `SELECT` on `votes`. It
//! can then neither create nor alter the table nor keep a tally, so it
//! counts as the original does, with its query, on every notification and
//! every `REFRESH_INTERVAL_MS`.

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;
use voting::schema::{self, COUNT_SQL};

use crate::feed_error::server_says;
use crate::tally_table::{self, SetUp};

/// How this connection counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Counting {
    /// From `vote_tally`; `fresh` when it was just counted from the table,
    /// so that it needs no reconcile yet.
    Tally { fresh: bool },
    /// With the original query, because of the reason given.
    Original(String),
}

/// What the database user may do with `votes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Access {
    /// Create and alter it: the tally may be tried.
    Owner,
    /// Only read it, for the reason the server gave.
    ReadOnly(String),
}

/// Makes sure `votes` exists with our columns, or, where the user may not
/// make sure of it, that it can at least be read.
pub(crate) async fn votes_access(client: &mut Client) -> Result<Access, tokio_postgres::Error> {
    let refusal = match schema::ensure(client).await {
        Ok(()) => return Ok(Access::Owner),
        Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => e,
        Err(e) => return Err(e),
    };
    let readable: bool = client
        .query_one(
            "SELECT CASE WHEN to_regclass('votes') IS NULL THEN false \
             ELSE has_table_privilege('votes', 'SELECT') END",
            &[],
        )
        .await?
        .get(0);
    if readable {
        Ok(Access::ReadOnly(server_says(&refusal)))
    } else {
        Err(refusal)
    }
}

impl Counting {
    /// The way to count after setting up the tally found `set_up`.
    pub(crate) fn from_set_up(set_up: SetUp) -> Counting {
        match set_up {
            SetUp::Kept => Counting::Tally { fresh: false },
            SetUp::Rebuilt => Counting::Tally { fresh: true },
            SetUp::Refused(why) => Counting::Original(why),
        }
    }

    /// The count query: (vote, count) rows either way.
    pub(crate) fn sql(&self) -> &'static str {
        match self {
            Counting::Tally { .. } => tally_table::READ_SQL,
            Counting::Original(_) => COUNT_SQL,
        }
    }

    /// Whether there is a tally to reconcile.
    pub(crate) fn tallied(&self) -> bool {
        matches!(self, Counting::Tally { .. })
    }

    /// Logs how the counts are made when that differs from what was last
    /// logged (`told`: whether that was the tally), so an operator reads it
    /// once, not on every reconnect.
    pub(crate) fn announce(&self, told: &mut Option<bool>) {
        if *told == Some(self.tallied()) {
            return;
        }
        match self {
            Counting::Tally { .. } if told.is_some() => {
                tracing::info!("counting from the vote tally again");
            }
            Counting::Tally { .. } => {}
            Counting::Original(why) => tracing::warn!(
                reason = %why,
                "cannot keep a vote tally; counting with the original query \
                 (SELECT vote, COUNT(id) FROM votes GROUP BY vote) on every change and refresh"
            ),
        }
        *told = Some(self.tallied());
    }
}

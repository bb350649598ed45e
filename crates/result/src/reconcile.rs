//! The tally's periodic check: recount `votes`, compare it with
//! `vote_tally`, and repair the difference.
//!
//! The triggers keep the tally exact for every write that fires them. A
//! write made while they do not fire (`session_replication_role = replica`,
//! `ALTER TABLE … DISABLE TRIGGER`, `pg_restore --disable-triggers`) would
//! otherwise stay miscounted for ever.
//!
//! The check and its repair are one statement in one transaction, so the
//! count of `votes` and the tally it is compared with come from one
//! snapshot, in which every committed write that fired the triggers is in
//! both. The repair adds the difference to the tally rows with the same
//! upsert the triggers use, rather than overwriting them: PostgreSQL applies
//! an upsert's `DO UPDATE` to the row's newest version, so an increment a
//! trigger commits meanwhile is kept, and writers are never held back for
//! the scan. The tally's advisory lock, taken before the snapshot, keeps two
//! result processes from adding the same difference twice.

use tokio_postgres::Client;

use crate::tally_table::TALLY_LOCK_KEY;

/// Counts `votes`, compares the counts with `vote_tally` per option, adds
/// each difference to its tally row (in option order, as the triggers lock
/// them) and returns the differences.
const RECONCILE_SQL: &str = "
    WITH counted AS (
        SELECT vote, COUNT(id) AS count FROM votes GROUP BY vote
    ), drift AS (
        SELECT vote, COALESCE(c.count, 0) - COALESCE(t.count, 0) AS delta
        FROM counted c FULL JOIN vote_tally t USING (vote)
        WHERE COALESCE(c.count, 0) <> COALESCE(t.count, 0)
    ), repaired AS (
        INSERT INTO vote_tally AS t (vote, count)
            SELECT vote, delta FROM drift ORDER BY vote
            ON CONFLICT (vote) DO UPDATE SET count = t.count + EXCLUDED.count
    )
    SELECT vote, delta FROM drift ORDER BY vote
";

/// How far the tally was from the table, per option: the table's count
/// minus the tally's, for every option where they differed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Drift {
    by_option: Vec<(String, i64)>,
}

impl Drift {
    /// How many votes were miscounted in all, whichever way.
    pub(crate) fn votes(&self) -> u64 {
        self.by_option.iter().map(|(_, d)| d.unsigned_abs()).sum()
    }
}

/// Checks the tally against the table and repairs it; logs and records a
/// drift it found (`result_tally_drift_votes` is the last check's drift, 0
/// when the tally was right; `result_tally_repairs_total` counts repairs).
#[tracing::instrument(skip_all)]
pub(crate) async fn run(client: &mut Client) -> Result<Drift, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&TALLY_LOCK_KEY])
        .await?;
    let rows = tx.query(RECONCILE_SQL, &[]).await?;
    let mut drift = Drift::default();
    for row in &rows {
        drift.by_option.push((row.try_get(0)?, row.try_get(1)?));
    }
    tx.commit().await?;
    let votes = drift.votes();
    metrics::gauge!("result_tally_drift_votes").set(votes as f64);
    if votes > 0 {
        metrics::counter!("result_tally_repairs_total").increment(1);
        tracing::warn!(
            drift = votes,
            by_option = ?drift.by_option,
            "the vote tally differed from the votes table (a write bypassed its triggers); repaired"
        );
    } else {
        tracing::debug!("the vote tally matches the votes table");
    }
    Ok(drift)
}

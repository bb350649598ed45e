//! `vote_tally`: the counts kept up to date by PostgreSQL itself, so a
//! recount reads two rows instead of scanning every voter.
//!
//! The original app's count (`SELECT vote, COUNT(id) FROM votes GROUP BY
//! vote`) scans the whole table: about 80–190 ms for a million voters on the
//! benchmark machine, run again on every change. Statement-level triggers
//! with transition tables instead add each statement's changes to
//! `vote_tally`, in the writer's own transaction, so the tally is always
//! exactly the original count, whoever writes (our worker, the original
//! one, an operator). The trigger sorts its rows by option, so concurrent
//! writers lock the tally rows in one order and cannot deadlock.
//!
//! The table, functions and triggers are made when result connects and any
//! of them is missing, under an advisory lock, and the counts are then
//! computed from `votes` with writers held back for that one scan. A writer
//! never fails because of the tally: if `vote_tally` is dropped, the
//! triggers skip it, and result rebuilds it when it reconnects. Writes made
//! while triggers do not fire (`session_replication_role = replica`) are
//! found and repaired by the periodic reconcile (`reconcile`).

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use crate::feed_error::server_says;

/// Serialises setting up and reconciling the tally between result
/// processes. "tally" in ASCII; distinct from the schema's lock.
pub(crate) const TALLY_LOCK_KEY: i64 = 0x0074_616c_6c79;

/// The current counts, in the original count's shape: (vote, count).
pub(crate) const READ_SQL: &str = "SELECT vote, count FROM vote_tally";

/// The triggers that keep the tally; all must exist for it to be right.
const TRIGGERS: [&str; 4] = [
    "vote_tally_insert",
    "vote_tally_update",
    "vote_tally_delete",
    "vote_tally_truncate",
];

/// The table and the trigger functions; safe to run again.
const DEFINITIONS: &str = "
    CREATE TABLE IF NOT EXISTS vote_tally (
        vote VARCHAR(255) PRIMARY KEY,
        count BIGINT NOT NULL
    );
    CREATE OR REPLACE FUNCTION vote_tally_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO vote_tally AS t (vote, count)
            SELECT vote, count(*) FROM new_rows GROUP BY vote ORDER BY vote
            ON CONFLICT (vote) DO UPDATE SET count = t.count + EXCLUDED.count;
        RETURN NULL;
    EXCEPTION WHEN undefined_table THEN
        RETURN NULL;
    END $$;
    CREATE OR REPLACE FUNCTION vote_tally_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO vote_tally AS t (vote, count)
            SELECT vote, sum(delta) FROM (
                SELECT vote, 1 AS delta FROM new_rows
                UNION ALL SELECT vote, -1 FROM old_rows
            ) changes GROUP BY vote HAVING sum(delta) <> 0 ORDER BY vote
            ON CONFLICT (vote) DO UPDATE SET count = t.count + EXCLUDED.count;
        RETURN NULL;
    EXCEPTION WHEN undefined_table THEN
        RETURN NULL;
    END $$;
    CREATE OR REPLACE FUNCTION vote_tally_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO vote_tally AS t (vote, count)
            SELECT vote, -count(*) FROM old_rows GROUP BY vote ORDER BY vote
            ON CONFLICT (vote) DO UPDATE SET count = t.count + EXCLUDED.count;
        RETURN NULL;
    EXCEPTION WHEN undefined_table THEN
        RETURN NULL;
    END $$;
    CREATE OR REPLACE FUNCTION vote_tally_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM vote_tally;
        RETURN NULL;
    EXCEPTION WHEN undefined_table THEN
        RETURN NULL;
    END $$;
";

/// The triggers, made again from scratch (transition tables need
/// PostgreSQL 10; `EXECUTE FUNCTION`, 11).
const TRIGGERS_SQL: &str = "
    DROP TRIGGER IF EXISTS vote_tally_insert ON votes;
    DROP TRIGGER IF EXISTS vote_tally_update ON votes;
    DROP TRIGGER IF EXISTS vote_tally_delete ON votes;
    DROP TRIGGER IF EXISTS vote_tally_truncate ON votes;
    CREATE TRIGGER vote_tally_insert AFTER INSERT ON votes
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION vote_tally_insert();
    CREATE TRIGGER vote_tally_update AFTER UPDATE ON votes
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION vote_tally_update();
    CREATE TRIGGER vote_tally_delete AFTER DELETE ON votes
        REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION vote_tally_delete();
    CREATE TRIGGER vote_tally_truncate AFTER TRUNCATE ON votes
        FOR EACH STATEMENT EXECUTE FUNCTION vote_tally_truncate();
";

/// Recounts from `votes` while no one writes to it.
const RECOUNT_SQL: &str = "
    LOCK TABLE votes IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM vote_tally;
    INSERT INTO vote_tally (vote, count) SELECT vote, COUNT(id) FROM votes GROUP BY vote;
";

/// What setting up the tally found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SetUp {
    /// The tally and its triggers were already there.
    Kept,
    /// They were (re)made and the tally was just counted from `votes`.
    Rebuilt,
    /// The database refused them (no rights to make triggers or to write
    /// the tally, a PostgreSQL too old for transition tables), for this
    /// reason: result then counts with the original query, slower but right.
    Refused(String),
}

/// Makes sure the tally and its triggers exist and the counts are right.
pub(crate) async fn ensure(client: &mut Client) -> Result<SetUp, tokio_postgres::Error> {
    match try_ensure(client).await {
        Err(e) if refused(&e) => Ok(SetUp::Refused(server_says(&e))),
        other => other,
    }
}

/// Whether the server refused the statements themselves (class 42: syntax
/// or access rule; class 0A: feature not supported), as opposed to failing.
pub(crate) fn refused(error: &tokio_postgres::Error) -> bool {
    error.code().is_some_and(|code| {
        *code == SqlState::INSUFFICIENT_PRIVILEGE || matches!(&code.code()[..2], "42" | "0A")
    })
}

async fn try_ensure(client: &mut Client) -> Result<SetUp, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&TALLY_LOCK_KEY])
        .await?;
    let found = tx
        .query_one(
            "SELECT to_regclass('vote_tally') IS NOT NULL, \
             CASE WHEN to_regclass('vote_tally') IS NULL THEN true \
             ELSE has_table_privilege('vote_tally', 'SELECT') \
             AND has_table_privilege('vote_tally', 'INSERT') \
             AND has_table_privilege('vote_tally', 'UPDATE') END, \
             $2 = (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'votes'::regclass \
             AND tgname = ANY($1) AND tgenabled <> 'D')",
            &[&&TRIGGERS[..], &(TRIGGERS.len() as i64)],
        )
        .await?;
    let (present, usable, triggered): (bool, bool, bool) =
        (found.get(0), found.get(1), found.get(2));
    if !usable {
        return Ok(SetUp::Refused(
            "the database user may not read and update vote_tally".into(),
        ));
    }
    let set_up = if present && triggered {
        SetUp::Kept
    } else {
        tracing::info!("setting up the vote tally: counting the votes table once");
        tx.batch_execute(DEFINITIONS).await?;
        tx.batch_execute(RECOUNT_SQL).await?;
        tx.batch_execute(TRIGGERS_SQL).await?;
        SetUp::Rebuilt
    };
    tx.commit().await?;
    Ok(set_up)
}

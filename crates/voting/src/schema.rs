//! The `votes` table: its schema, the upsert that keeps the last vote, and the
//! notification that tells readers it changed.
//!
//! The table keeps the original app's columns, so the original result app can
//! read it. Two nullable columns are added: `seq`, the place of the row's vote
//! in the order Redis accepted the votes (what "last vote wins" compares), and
//! `ts`, when the vote replica says it was cast (information only).

use std::time::Duration;

use tokio_postgres::error::SqlState;

/// Serialises schema creation between our own processes, which start together.
/// The value is arbitrary but fixed: "muelle" in ASCII.
const SCHEMA_LOCK_KEY: i64 = 0x6d75_656c_6c65;

/// Two concurrent `CREATE TABLE IF NOT EXISTS` can fail with 23505 when a
/// process outside our lock (the original worker, say) creates the table too.
const SCHEMA_ATTEMPTS: u32 = 5;

/// The channel the worker notifies after each committed batch.
pub const CHANGED_CHANNEL: &str = "votes_changed";

/// Creates the table (and the added column) if missing, safely when several
/// processes do it at once.
const SCHEMA_SQL: &str = "
    CREATE TABLE IF NOT EXISTS votes (
        id VARCHAR(255) NOT NULL UNIQUE,
        vote VARCHAR(255) NOT NULL
    );
    ALTER TABLE votes ADD COLUMN IF NOT EXISTS ts BIGINT;
    ALTER TABLE votes ADD COLUMN IF NOT EXISTS seq BIGINT;
";

/// Upserts a batch: `$1` voter ids, `$2` choices, `$3` timestamps (or null),
/// `$4` sequence numbers, as arrays of equal length with no id twice. A row
/// only moves to a higher `seq`, so when two workers race, or a vote comes
/// back after a crash, the last vote still wins. A row without `seq` (written
/// by the original worker, or before `seq` existed) yields to any vote. The same statement notifies
/// readers with the number of rows changed; PostgreSQL delivers the
/// notification when the statement's transaction commits, and not otherwise.
pub const UPSERT_SQL: &str = "
    WITH upserted AS (
        INSERT INTO votes (id, vote, ts, seq)
        SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
        ON CONFLICT (id) DO UPDATE SET vote = EXCLUDED.vote, ts = EXCLUDED.ts, seq = EXCLUDED.seq
        WHERE votes.seq IS NULL OR votes.seq < EXCLUDED.seq
        RETURNING 1
    )
    SELECT count(*) AS changed, pg_notify('votes_changed', count(*)::text) FROM upserted
";

/// The highest `seq` stored: a new sequence counter starts above it, so that
/// votes after a loss of Redis' data are not taken for old ones.
pub const HIGHEST_SEQ_SQL: &str = "SELECT COALESCE(max(seq), 0) AS highest FROM votes";

/// The original result app's query; the result service runs it as is.
pub const COUNT_SQL: &str = "SELECT vote, COUNT(id) AS count FROM votes GROUP BY vote";

/// Makes sure the table exists with the columns we use.
pub async fn ensure(client: &mut tokio_postgres::Client) -> Result<(), tokio_postgres::Error> {
    let mut attempt = 1;
    loop {
        match try_ensure(client).await {
            Err(e) if attempt < SCHEMA_ATTEMPTS && is_creation_race(&e) => {
                tracing::debug!(attempt, error = %e, "schema creation raced, retrying");
                tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn try_ensure(client: &mut tokio_postgres::Client) -> Result<(), tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK_KEY])
        .await?;
    tx.batch_execute(SCHEMA_SQL).await?;
    tx.commit().await
}

fn is_creation_race(e: &tokio_postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(&SqlState::UNIQUE_VIOLATION) | Some(&SqlState::DUPLICATE_TABLE)
    )
}

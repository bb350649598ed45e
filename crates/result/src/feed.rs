//! The live tally: one task keeps a PostgreSQL connection, listens for
//! `votes_changed`, recounts, and publishes the counts to every reader.
//!
//! Readers never touch the database. They hold a [`Feed`], whose watch
//! channels always have the last known tally and the database's state, so a
//! page, an API call or ten thousand event streams cost no query, and a
//! PostgreSQL outage only makes the numbers stale.
//!
//! Recounts are coalesced: one query runs at a time, and any notifications
//! that arrive meanwhile cause exactly one more. A periodic refresh catches
//! changes from writers that never notify (the original worker), and a
//! periodic reconcile (`reconcile`) repairs the tally after writes that
//! bypassed its triggers.

use std::convert::Infallible;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{AsyncMessage, Client, Connection, NoTls, Socket, Statement};
use tokio_util::sync::CancellationToken;
use voting::connect::Backoff;
use voting::schema::CHANGED_CHANNEL;
use voting::tally::Tally;

use crate::counting::{self, Access, Counting};
use crate::feed_error::FeedError;
use crate::snapshot::Snapshot;
use crate::{reconcile, tally_table};

/// The longest pause between attempts, so the page is live again within a
/// couple of seconds of the database coming back.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How long connecting, preparing or counting may take before the database
/// counts as unreachable; a dead peer that sends no reset would otherwise
/// keep `/healthz` green forever.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a statement that scans the whole table (setting up the tally
/// the first time, a reconcile) may take: a few hundred milliseconds for a
/// million voters, so this is far beyond any healthy database.
const SCAN_TIMEOUT: Duration = Duration::from_secs(60);

/// What `/healthz` reports before the first connection succeeds.
const NOT_CONNECTED: &str = "not connected yet";

/// What readers hold: the last known tally and whether the database is
/// reachable. Cloning it is cheap.
#[derive(Debug, Clone)]
pub(crate) struct Feed {
    tally: watch::Receiver<Option<Snapshot>>,
    db_error: watch::Receiver<Option<String>>,
}

impl Feed {
    /// The last known tally, or `None` before the first count.
    pub(crate) fn current(&self) -> Option<Snapshot> {
        self.tally.borrow().clone()
    }

    /// A receiver that sees every later change; its channel closes when
    /// the feed stops, which ends the event streams on shutdown.
    pub(crate) fn subscribe(&self) -> watch::Receiver<Option<Snapshot>> {
        self.tally.clone()
    }

    /// A feed that follows `tally` and is always healthy, for unit tests
    /// of its readers.
    #[cfg(test)]
    pub(crate) fn following(tally: watch::Receiver<Option<Snapshot>>) -> Feed {
        Feed {
            tally,
            db_error: watch::channel(None).1,
        }
    }

    /// `Ok` while the feed is connected, otherwise the last error.
    pub(crate) fn db_health(&self) -> Result<(), String> {
        match &*self.db_error.borrow() {
            None => Ok(()),
            Some(error) => Err(error.clone()),
        }
    }
}

/// How often the feed counts and checks without being told to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schedule {
    /// The longest time between two counts (`REFRESH_INTERVAL_MS`).
    pub(crate) refresh: Duration,
    /// The time between two reconciles of the tally, if any
    /// (`TALLY_RECONCILE_INTERVAL_MS`).
    pub(crate) reconcile: Option<Duration>,
}

impl Schedule {
    /// When to reconcile first on a new connection: at once (anything may
    /// have been written while result was away), unless the tally was just
    /// counted from the table; never without a tally.
    fn first_reconcile(&self, counting: &Counting) -> Option<Instant> {
        match counting {
            Counting::Tally { fresh: false } => self.reconcile.map(|_| Instant::now()),
            Counting::Tally { fresh: true } => self.next_reconcile(),
            Counting::Original(_) => None,
        }
    }

    fn next_reconcile(&self) -> Option<Instant> {
        self.reconcile.map(|every| Instant::now() + every)
    }
}

/// Starts the feed task. It runs until `stop` is cancelled, then drops its
/// senders so every subscriber's stream ends.
pub(crate) fn spawn(
    database: tokio_postgres::Config,
    schedule: Schedule,
    stop: CancellationToken,
) -> (Feed, JoinHandle<()>) {
    let (tally_tx, tally) = watch::channel(None);
    let (db_tx, db_error) = watch::channel(Some(NOT_CONNECTED.to_owned()));
    let publisher = Publisher::new(tally_tx, db_tx);
    let task = tokio::spawn(async move {
        tokio::select! {
            () = stop.cancelled() => {}
            never = keep_connected(&publisher, &database, schedule) => match never {},
        }
        tracing::debug!("tally feed stopped");
    });
    (Feed { tally, db_error }, task)
}

/// The sending halves of the feed, owned by its task alone.
struct Publisher {
    tally: watch::Sender<Option<Snapshot>>,
    db_error: watch::Sender<Option<String>>,
    /// Whether a session was up before, so that the next one is a reconnect.
    connected_before: AtomicBool,
}

impl Publisher {
    fn new(
        tally: watch::Sender<Option<Snapshot>>,
        db_error: watch::Sender<Option<String>>,
    ) -> Self {
        Publisher {
            tally,
            db_error,
            connected_before: AtomicBool::new(false),
        }
    }

    /// Publishes a fresh count; readers are woken only if it differs.
    fn publish(&self, tally: Tally) {
        let changed = self.tally.send_if_modified(|current| match current {
            Some(snapshot) if snapshot.tally() == tally => false,
            _ => {
                *current = Some(Snapshot::new(tally));
                true
            }
        });
        if changed {
            metrics::counter!("result_tally_changes_total").increment(1);
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        metrics::gauge!("result_tally_refreshed_timestamp_seconds").set(now.as_secs_f64());
    }

    /// A session is up (called once per session).
    fn healthy(&self) {
        self.db_error
            .send_if_modified(|error| error.take().is_some());
        metrics::gauge!("result_db_up").set(1.0);
        if self.connected_before.swap(true, Ordering::Relaxed) {
            metrics::counter!("result_db_reconnects_total").increment(1);
        }
    }

    fn unhealthy(&self, error: &FeedError) {
        self.db_error.send_replace(Some(error.to_string()));
        metrics::gauge!("result_db_up").set(0.0);
        metrics::counter!("result_db_errors_total").increment(1);
    }
}

/// Connects, serves a session until it fails, backs off, and again.
async fn keep_connected(
    publisher: &Publisher,
    database: &tokio_postgres::Config,
    schedule: Schedule,
) -> Infallible {
    let mut backoff = Backoff::new(MAX_BACKOFF);
    let mut told = None;
    loop {
        let error = session(publisher, database, schedule, &mut backoff, &mut told).await;
        publisher.unhealthy(&error);
        let pause = backoff.next_delay();
        tracing::warn!(error = %error, retry_in = ?pause, "database unavailable; serving the last known tally");
        sleep(pause).await;
    }
}

/// One connection's life: set up, count, then recount on every
/// notification and refresh until something fails. `told` is how the
/// counting was last logged (see [`Counting::announce`]).
#[tracing::instrument(skip_all)]
async fn session(
    publisher: &Publisher,
    database: &tokio_postgres::Config,
    schedule: Schedule,
    backoff: &mut Backoff,
    told: &mut Option<bool>,
) -> FeedError {
    let (mut client, mut connection) = match timeout(QUERY_TIMEOUT, database.connect(NoTls)).await {
        Err(_) => return FeedError::Timeout("connecting", QUERY_TIMEOUT),
        Ok(Err(e)) => return FeedError::Connect(e),
        Ok(Ok(pair)) => pair,
    };
    let changed = Notify::new();
    tokio::select! {
        error = drive(&mut connection, &changed) => error,
        outcome = follow(&mut client, &changed, publisher, schedule, backoff, told) => match outcome {
            Err(error) => error,
            Ok(never) => match never {},
        },
    }
}

/// Counts once connected, then on every notification, at least every
/// refresh, and after a reconcile that repaired the tally, until a query
/// fails.
async fn follow(
    client: &mut Client,
    changed: &Notify,
    publisher: &Publisher,
    schedule: Schedule,
    backoff: &mut Backoff,
    told: &mut Option<bool>,
) -> Result<Infallible, FeedError> {
    let (count, counting) = set_up(client, told).await?;
    recount(client, &count, publisher, Trigger::Connect).await?;
    publisher.healthy();
    backoff.reset();
    tracing::info!("connected; listening for vote changes");
    let mut reconcile_at = schedule.first_reconcile(&counting);
    loop {
        let trigger = tokio::select! {
            () = changed.notified() => Trigger::Notify,
            () = sleep_until(Instant::now() + schedule.refresh) => Trigger::Refresh,
            () = at(reconcile_at) => Trigger::Reconcile,
        };
        if let Trigger::Reconcile = trigger {
            reconcile_at = schedule.next_reconcile();
            let drift = timeout(SCAN_TIMEOUT, reconcile::run(client))
                .await
                .map_err(|_| FeedError::Timeout("reconciling the vote tally", SCAN_TIMEOUT))?
                .map_err(FeedError::Reconcile)?;
            if drift.votes() == 0 {
                continue;
            }
        }
        recount(client, &count, publisher, trigger).await?;
    }
}

/// Waits until `deadline`, or for ever without one.
async fn at(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Makes sure the tables exist, listens, and prepares the count once per
/// connection, saving a round trip on every recount. The count reads the
/// tally table, or runs the original query where no tally can be kept.
async fn set_up(
    client: &mut Client,
    told: &mut Option<bool>,
) -> Result<(Statement, Counting), FeedError> {
    let access = timeout(QUERY_TIMEOUT, counting::votes_access(client))
        .await
        .map_err(|_| FeedError::Timeout("creating the votes table", QUERY_TIMEOUT))?
        .map_err(FeedError::Schema)?;
    let counting = match access {
        Access::ReadOnly(why) => {
            Counting::Original(format!("the database user may only read votes ({why})"))
        }
        // Its first set-up scans the whole table once.
        Access::Owner => timeout(SCAN_TIMEOUT, tally_table::ensure(client))
            .await
            .map_err(|_| FeedError::Timeout("setting up the vote tally", SCAN_TIMEOUT))?
            .map(Counting::from_set_up)
            .map_err(FeedError::Schema)?,
    };
    counting.announce(told);
    let listen = format!("LISTEN {CHANGED_CHANNEL}");
    let count = timeout(QUERY_TIMEOUT, async {
        client.batch_execute(&listen).await?;
        client.prepare(counting.sql()).await
    })
    .await
    .map_err(|_| FeedError::Timeout("listening", QUERY_TIMEOUT))?
    .map_err(FeedError::Listen)?;
    Ok((count, counting))
}

/// Why a recount ran, as a metric label.
#[derive(Debug, Clone, Copy)]
enum Trigger {
    Connect,
    Notify,
    Refresh,
    Reconcile,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Connect => "connect",
            Trigger::Notify => "notify",
            Trigger::Refresh => "refresh",
            Trigger::Reconcile => "reconcile",
        }
    }
}

/// Counts (from the tally, or with the original app's query) and publishes
/// the result.
async fn recount(
    client: &Client,
    count: &Statement,
    publisher: &Publisher,
    trigger: Trigger,
) -> Result<(), FeedError> {
    let started = std::time::Instant::now();
    let rows = timeout(QUERY_TIMEOUT, client.query(count, &[]))
        .await
        .map_err(|_| FeedError::Timeout("counting the votes", QUERY_TIMEOUT))?
        .map_err(FeedError::Count)?;
    let mut counts = Vec::with_capacity(rows.len());
    for row in &rows {
        let vote: &str = row.try_get(0).map_err(FeedError::Count)?;
        let count: i64 = row.try_get(1).map_err(FeedError::Count)?;
        counts.push((vote, count));
    }
    let tally = Tally::from_rows(counts);
    metrics::counter!("result_recounts_total", "trigger" => trigger.as_str()).increment(1);
    metrics::histogram!("result_recount_duration_seconds").record(started.elapsed().as_secs_f64());
    tracing::trace!(?trigger, a = tally.a, b = tally.b, "recounted");
    publisher.publish(tally);
    Ok(())
}

/// Polls the connection: it carries the queries' replies and the
/// notifications. Each `votes_changed` leaves one permit in `changed`, so a
/// burst that lands during a recount causes one more recount, not many.
async fn drive(connection: &mut Connection<Socket, NoTlsStream>, changed: &Notify) -> FeedError {
    loop {
        match poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(AsyncMessage::Notification(note))) if note.channel() == CHANGED_CHANNEL => {
                metrics::counter!("result_notifications_total").increment(1);
                changed.notify_one();
            }
            Some(Ok(AsyncMessage::Notice(notice))) => {
                tracing::debug!(notice = %notice.message(), "PostgreSQL notice");
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return FeedError::Lost(e),
            None => return FeedError::Closed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readers_are_woken_only_when_the_counts_change() {
        let (tally_tx, mut tally) = watch::channel(None);
        let (db_error, _) = watch::channel(None);
        let publisher = Publisher::new(tally_tx, db_error);
        publisher.publish(Tally { a: 1, b: 2 });
        assert!(tally.has_changed().unwrap());
        tally.borrow_and_update();
        publisher.publish(Tally { a: 1, b: 2 });
        assert!(!tally.has_changed().unwrap());
        publisher.publish(Tally { a: 2, b: 2 });
        assert!(tally.has_changed().unwrap());
    }
}

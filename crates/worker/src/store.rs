//! The worker's side of PostgreSQL: one connection, one statement per batch.

use std::sync::{Arc, Mutex};

use tokio_postgres::{Client, Statement};
use voting::schema;

use crate::batch::{self, Batch, Row};

/// What went wrong writing a batch, and so what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The connection is gone or the server is not taking work now
    /// (restarting, deadlock, no table yet): reconnect and try again.
    #[error("PostgreSQL is unavailable: {0}")]
    Unavailable(#[source] tokio_postgres::Error),
    /// The server refused the data itself: retrying the same batch cannot
    /// help, so the rows are tried one by one.
    #[error("PostgreSQL refused the data: {0}")]
    Refused(#[source] tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> StoreError {
        let refused = e.code().is_some_and(|code| {
            let class = &code.code()[..2];
            // 22: data exception, 23: integrity violation, 54: program limit.
            matches!(class, "22" | "23" | "54")
        });
        if refused {
            StoreError::Refused(e)
        } else {
            StoreError::Unavailable(e)
        }
    }
}

/// The current connection, shared with `/healthz`.
pub type SharedClient = Arc<Mutex<Option<Arc<Client>>>>;

/// A connection to PostgreSQL with the upsert prepared.
pub struct Store {
    config: tokio_postgres::Config,
    current: Option<(Arc<Client>, Statement)>,
    shared: SharedClient,
    /// Whether a connection was made before, so the next one is a reconnect.
    connected_before: bool,
}

/// What became of a batch's rows.
#[derive(Debug, Default)]
pub struct Written {
    /// Rows that changed (new voters, or newer votes).
    pub changed: u64,
    /// Rows the database refused, by position in the take, with why.
    pub refused: Vec<(usize, String)>,
}

impl Store {
    /// A store that connects on first use.
    pub fn new(config: tokio_postgres::Config) -> Store {
        Store {
            config,
            current: None,
            shared: SharedClient::default(),
            connected_before: false,
        }
    }

    /// The connection as `/healthz` sees it.
    pub fn shared(&self) -> SharedClient {
        self.shared.clone()
    }

    /// Upserts the batch's rows in one statement (one transaction), which
    /// also notifies readers on commit. If the database refuses the data,
    /// the rows are tried one at a time and the refused ones reported.
    pub async fn write(&mut self, batch: &Batch) -> Result<Written, StoreError> {
        if batch.rows.is_empty() {
            return Ok(Written::default());
        }
        let (client, upsert) = self.connection().await?;
        let (ids, votes, ts, seq) = batch.columns();
        match client.query_one(&upsert, &[&ids, &votes, &ts, &seq]).await {
            Ok(row) => Ok(Written {
                changed: row.get::<_, i64>("changed") as u64,
                refused: Vec::new(),
            }),
            Err(e) => match StoreError::from(e) {
                StoreError::Refused(e) => {
                    tracing::warn!(error = %e, "the batch was refused; writing its rows one by one");
                    self.write_one_by_one(&batch.rows).await
                }
                unavailable => {
                    self.disconnect();
                    Err(unavailable)
                }
            },
        }
    }

    /// Connects now if not connected, so that an idle worker is ready (and
    /// reports itself healthy) before the first vote arrives, and the first
    /// vote does not wait for a connection. Gives up after `within`.
    pub async fn warm_up(&mut self, within: std::time::Duration) -> Result<(), StoreError> {
        if self
            .current
            .as_ref()
            .is_some_and(|(client, _)| !client.is_closed())
        {
            return Ok(());
        }
        match tokio::time::timeout(within, self.connection()).await {
            Ok(connected) => connected.map(drop),
            Err(_) => Ok(()),
        }
    }

    /// The highest `seq` in the table, to start a lost sequence counter above.
    pub async fn highest_seq(&mut self) -> Result<i64, StoreError> {
        let (client, _) = self.connection().await?;
        match client.query_one(schema::HIGHEST_SEQ_SQL, &[]).await {
            Ok(row) => Ok(row.get("highest")),
            Err(e) => {
                self.disconnect();
                Err(StoreError::Unavailable(e))
            }
        }
    }

    async fn write_one_by_one(&mut self, rows: &[Row]) -> Result<Written, StoreError> {
        let (client, upsert) = self.connection().await?;
        let mut written = Written::default();
        for row in rows {
            let (ids, votes, ts, seq) = batch::columns(std::slice::from_ref(row));
            match client.query_one(&upsert, &[&ids, &votes, &ts, &seq]).await {
                Ok(result) => written.changed += result.get::<_, i64>("changed") as u64,
                Err(e) => match StoreError::from(e) {
                    StoreError::Refused(e) => written.refused.push((row.position, e.to_string())),
                    unavailable => {
                        self.disconnect();
                        return Err(unavailable);
                    }
                },
            }
        }
        Ok(written)
    }

    async fn connection(&mut self) -> Result<(Arc<Client>, Statement), StoreError> {
        if let Some((client, upsert)) = &self.current {
            if !client.is_closed() {
                return Ok((client.clone(), upsert.clone()));
            }
        }
        let mut client = voting::connect::postgres(&self.config)
            .await
            .map_err(StoreError::Unavailable)?;
        schema::ensure(&mut client)
            .await
            .map_err(StoreError::Unavailable)?;
        let upsert = client
            .prepare(schema::UPSERT_SQL)
            .await
            .map_err(StoreError::Unavailable)?;
        let client = Arc::new(client);
        tracing::info!("connected to PostgreSQL");
        if std::mem::replace(&mut self.connected_before, true) {
            metrics::counter!("worker_db_reconnects_total").increment(1);
        }
        *self
            .shared
            .lock()
            .expect("the shared client lock is never poisoned") = Some(client.clone());
        self.current = Some((client.clone(), upsert.clone()));
        Ok((client, upsert))
    }

    fn disconnect(&mut self) {
        self.current = None;
        *self
            .shared
            .lock()
            .expect("the shared client lock is never poisoned") = None;
    }
}

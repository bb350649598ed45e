//! Many idle `/events` clients: people who leave the result page open.
//!
//! Each client is a bare socket and a small task, so ten thousand of them
//! cost the load generator little and measure what they cost the server.
//! A client counts as connected once it has received its first tally.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::sse::{EventStream, StreamError};
use crate::target::{Dial, Target};

/// Connections being opened at once. The server's accept backlog is a few
/// hundred; more at once only makes SYNs wait.
const OPENING_AT_ONCE: usize = 256;

/// How long opening one stream and receiving its first tally may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Default)]
struct Counts {
    open: AtomicUsize,
    events: AtomicU64,
    failures: std::sync::Mutex<Failures>,
}

/// Failed clients by kind, and the first failure of each kind in words.
#[derive(Debug, Default)]
struct Failures {
    counts: BTreeMap<String, u64>,
    messages: BTreeMap<String, String>,
}

impl Counts {
    fn fail(&self, kind: &str, message: impl FnOnce() -> String) {
        let mut failures = self.failures.lock().expect("the lock is never poisoned");
        *failures.counts.entry(kind.to_owned()).or_default() += 1;
        failures
            .messages
            .entry(kind.to_owned())
            .or_insert_with(message);
    }
}

/// Idle clients holding `/events` streams open until closed or dropped.
pub struct IdleClients {
    requested: usize,
    counts: Arc<Counts>,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

/// What became of the idle clients.
#[derive(Debug, Clone, Serialize)]
pub struct IdleReport {
    /// Clients asked for.
    pub requested: usize,
    /// Clients whose stream was still open at the end.
    pub open: usize,
    /// Tallies received by all clients together.
    pub events: u64,
    /// Clients that failed, by kind.
    pub failures: BTreeMap<String, u64>,
    /// The first failure of each kind in words.
    pub failure_messages: BTreeMap<String, String>,
}

impl IdleClients {
    /// Opens `clients` streams to `url` and returns once each has received
    /// its first tally or failed.
    pub async fn open(url: &str, clients: usize) -> Result<IdleClients, Error> {
        IdleClients::open_with(url, clients, &Dial::default()).await
    }

    /// [`IdleClients::open`], reaching `url` as `dial` says.
    pub async fn open_with(url: &str, clients: usize, dial: &Dial) -> Result<IdleClients, Error> {
        let target = Arc::new(Target::resolve(url, dial).await?);
        let counts = Arc::new(Counts::default());
        let stop = CancellationToken::new();
        let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
        let (settled_tx, mut settled) = mpsc::channel::<()>(clients.max(1));
        let tasks = (0..clients)
            .map(|_| {
                let (counts, stop, opening) = (counts.clone(), stop.clone(), opening.clone());
                let (target, settled_tx) = (target.clone(), settled_tx.clone());
                tokio::spawn(async move {
                    let permit = opening.acquire_owned().await.expect("never closed");
                    let opened =
                        tokio::time::timeout(OPEN_TIMEOUT, EventStream::open(&target)).await;
                    drop(permit);
                    // Counted before it says it settled, so that `open`
                    // returns with every stream counted as open or failed.
                    let (stream, first) = match opened {
                        Ok(Ok(opened)) => opened,
                        Ok(Err(e)) => {
                            counts.fail(e.kind(), || e.to_string());
                            let _ = settled_tx.send(()).await;
                            return;
                        }
                        Err(_) => {
                            counts.fail("timeout", || {
                                format!("no first tally within {OPEN_TIMEOUT:?}")
                            });
                            let _ = settled_tx.send(()).await;
                            return;
                        }
                    };
                    counts
                        .events
                        .fetch_add(first.len() as u64, Ordering::Relaxed);
                    counts.open.fetch_add(1, Ordering::Relaxed);
                    let _ = settled_tx.send(()).await;
                    let kind = listen(stream, &counts, &stop).await;
                    counts.open.fetch_sub(1, Ordering::Relaxed);
                    if let Some(error) = kind {
                        counts.fail(error.kind(), || error.to_string());
                    }
                })
            })
            .collect();
        drop(settled_tx);
        for _ in 0..clients {
            if settled.recv().await.is_none() {
                break;
            }
        }
        Ok(IdleClients {
            requested: clients,
            counts,
            stop,
            tasks,
        })
    }

    /// Streams open now.
    pub fn open_now(&self) -> usize {
        self.counts.open.load(Ordering::Relaxed)
    }

    /// Tallies received so far by all clients together.
    pub fn events(&self) -> u64 {
        self.counts.events.load(Ordering::Relaxed)
    }

    /// Closes every stream and reports.
    pub async fn close(mut self) -> IdleReport {
        let open = self.open_now();
        self.stop.cancel();
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        let failures = std::mem::take(&mut *self.counts.failures.lock().expect("never poisoned"));
        IdleReport {
            requested: self.requested,
            open,
            events: self.events(),
            failures: failures.counts,
            failure_messages: failures.messages,
        }
    }
}

impl Drop for IdleClients {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Reads tallies until asked to stop (`None`) or the stream fails.
async fn listen(
    mut stream: EventStream,
    counts: &Counts,
    stop: &CancellationToken,
) -> Option<StreamError> {
    loop {
        let read = tokio::select! {
            read = stream.next() => read,
            _ = stop.cancelled() => return None,
        };
        match read {
            Ok(tallies) => {
                counts
                    .events
                    .fetch_add(tallies.len() as u64, Ordering::Relaxed);
            }
            Err(e) => return Some(e),
        }
    }
}

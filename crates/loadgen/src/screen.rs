//! Vote-to-screen latency: how long after a vote is acknowledged the result
//! page shows it.
//!
//! The probe is a browser's stand-in: it keeps one `/events` stream of the
//! result service open and notes when each tally arrives. With unique voters
//! every acknowledged vote adds one to the tally's total, and the queue is
//! first in, first out, so the n-th vote acknowledged is on screen once the
//! total first reaches the starting total plus n. Its latency is the time
//! from its acknowledgement (or its sending) to that event. A vote shown
//! before its acknowledgement reached the client counts as zero.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::report::{self, Latency};
use crate::sse::EventStream;
use crate::target::{Dial, Target};

/// How long connecting to `/events` and receiving the first tally may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a vote's vote-to-screen latency starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ScreenFrom {
    /// When the voter saw the vote acknowledged.
    Ack,
    /// When the vote was sent (at a fixed rate: when it was scheduled).
    Send,
}

/// One vote as the screen measurement needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Acked {
    pub(crate) scheduled: Instant,
    pub(crate) acked: Instant,
    pub(crate) measured: bool,
}

/// A live `/events` stream and the tallies it has shown.
#[derive(Debug)]
pub struct ScreenProbe {
    url: String,
    baseline: i64,
    shown: watch::Receiver<i64>,
    log: Arc<Mutex<Vec<(Instant, i64)>>>,
    stop: CancellationToken,
    from: ScreenFrom,
}

/// Vote-to-screen latency of a run.
#[derive(Debug, Clone, Serialize)]
pub struct ScreenReport {
    /// Where each latency starts.
    pub from: ScreenFrom,
    /// Latency of the votes sent in the measured window.
    pub latency: Latency,
    /// Acknowledged votes the screen showed.
    pub shown: u64,
    /// Acknowledged votes the screen had not shown when the probe gave up.
    pub missing: u64,
    /// Tallies received.
    pub events: u64,
    /// The full distribution behind [`ScreenReport::latency`], in µs.
    #[serde(skip)]
    pub histogram: hdrhistogram::Histogram<u64>,
}

impl fmt::Display for ScreenReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "vote-to-screen (from {}): {}; {} shown, {} missing, {} events",
            match self.from {
                ScreenFrom::Ack => "ack",
                ScreenFrom::Send => "send",
            },
            self.latency,
            self.shown,
            self.missing,
            self.events
        )
    }
}

impl ScreenProbe {
    /// Opens `/events` at `url` and waits for the first tally, the baseline
    /// that later votes add to.
    pub async fn connect(url: &str, from: ScreenFrom) -> Result<ScreenProbe, Error> {
        ScreenProbe::connect_with(url, from, &Dial::default()).await
    }

    /// [`ScreenProbe::connect`], reaching `url` as `dial` says.
    pub async fn connect_with(
        url: &str,
        from: ScreenFrom,
        dial: &Dial,
    ) -> Result<ScreenProbe, Error> {
        let failed = |reason: String| Error::Screen {
            url: url.to_owned(),
            reason,
        };
        let target = Target::resolve(url, dial).await?;
        let (mut stream, first) = tokio::time::timeout(CONNECT_TIMEOUT, EventStream::open(&target))
            .await
            .map_err(|_| failed(format!("no tally within {CONNECT_TIMEOUT:?}")))?
            .map_err(|e| failed(e.to_string()))?;
        let baseline = first.last().expect("a stream opens with a tally").total();
        let (shown_tx, shown) = watch::channel(0);
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = CancellationToken::new();
        tokio::spawn({
            let (log, stop) = (log.clone(), stop.clone());
            async move {
                loop {
                    let tallies = tokio::select! {
                        tallies = stream.next() => tallies,
                        _ = stop.cancelled() => return,
                    };
                    let Ok(tallies) = tallies else { return };
                    let at = Instant::now();
                    for tally in tallies {
                        let added = tally.total() - baseline;
                        log.lock()
                            .expect("the log lock is never poisoned")
                            .push((at, added));
                        shown_tx.send_replace(added);
                    }
                }
            }
        });
        Ok(ScreenProbe {
            url: url.to_owned(),
            baseline,
            shown,
            log,
            stop,
            from,
        })
    }

    /// The `/events` URL watched.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The total the screen showed when the probe connected.
    pub fn baseline(&self) -> i64 {
        self.baseline
    }

    /// How many votes the screen shows beyond the baseline.
    pub fn shown(&self) -> i64 {
        *self.shown.borrow()
    }

    /// Waits until the screen shows `count` votes beyond the baseline, or
    /// `patience` passes or the stream ends. Returns whether it got there.
    pub async fn wait_for(&mut self, count: u64, patience: Duration) -> bool {
        let target = i64::try_from(count).unwrap_or(i64::MAX);
        let reached = self.shown.wait_for(|shown| *shown >= target);
        matches!(tokio::time::timeout(patience, reached).await, Ok(Ok(_)))
    }

    /// Matches acknowledged votes to the tallies that first included them.
    pub(crate) async fn measure(
        mut self,
        mut acked: Vec<Acked>,
        patience: Duration,
    ) -> ScreenReport {
        self.wait_for(acked.len() as u64, patience).await;
        self.stop.cancel();
        acked.sort_unstable_by_key(|a| a.acked);
        let log = std::mem::take(&mut *self.log.lock().expect("the log lock is never poisoned"));
        let mut histogram = report::histogram();
        let mut events = log.iter().peekable();
        let mut shown = 0;
        for (n, vote) in acked.iter().enumerate() {
            while events.next_if(|(_, added)| *added < n as i64 + 1).is_some() {}
            let Some((at, _)) = events.peek() else { break };
            shown += 1;
            if vote.measured {
                let start = match self.from {
                    ScreenFrom::Ack => vote.acked,
                    ScreenFrom::Send => vote.scheduled,
                };
                report::record(&mut histogram, at.saturating_duration_since(start));
            }
        }
        ScreenReport {
            from: self.from,
            latency: Latency::of(&histogram),
            shown,
            missing: acked.len() as u64 - shown,
            events: log.len() as u64,
            histogram,
        }
    }
}

impl Drop for ScreenProbe {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

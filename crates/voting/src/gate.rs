//! The cap on open connections, and who gives way when it is reached.
//!
//! A new connection is let in while fewer than the cap are open. At the cap
//! the connection that has waited longest for a request (idle between
//! requests, or still sending its head) is closed to make room, as nginx
//! reuses idle keep-alive connections; so a crowd of idle or slow clients
//! cannot lock out a normal one. Only when every open connection is busy
//! with a request or a stream is the newcomer refused.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use metrics::{Counter, Gauge};
use tokio::sync::Notify;

/// Counts open connections against a cap.
pub struct Gate {
    max: usize,
    state: Mutex<State>,
    open_gauge: Gauge,
    evicted: Counter,
}

struct State {
    open: usize,
    /// Connections waiting for their client, longest waiting first, each
    /// with the signal that closes it.
    waiting: BTreeMap<u64, Arc<Notify>>,
    next_wait: u64,
}

/// One admitted connection's place under the cap, given back on drop.
pub struct Slot {
    gate: Arc<Gate>,
    evict: Arc<Notify>,
}

impl Gate {
    /// A gate that holds at most `max` connections (a few more for the
    /// moment it takes a closed one to go).
    pub fn new(max: usize) -> Arc<Gate> {
        Arc::new(Gate {
            max,
            state: Mutex::new(State {
                open: 0,
                waiting: BTreeMap::new(),
                next_wait: 0,
            }),
            open_gauge: metrics::gauge!("http_connections_open"),
            evicted: metrics::counter!("http_connections_evicted_total"),
        })
    }

    /// A place for a new connection, made by closing the longest waiting
    /// one at the cap; `None` when every open connection is busy.
    pub fn admit(self: &Arc<Gate>) -> Option<Slot> {
        let mut state = self.lock();
        if state.open >= self.max && !self.evict_from(&mut state) {
            return None;
        }
        state.open += 1;
        self.open_gauge.set(state.open as f64);
        drop(state);
        Some(Slot {
            gate: self.clone(),
            evict: Arc::new(Notify::new()),
        })
    }

    /// Closes the connection that has waited longest for its client, to
    /// free its file descriptor; `false` when none is waiting.
    pub fn evict_longest_waiting(&self) -> bool {
        self.evict_from(&mut self.lock())
    }

    fn evict_from(&self, state: &mut State) -> bool {
        let Some((_, evict)) = state.waiting.pop_first() else {
            return false;
        };
        // A stored permit: the connection sees it even if it is between polls.
        evict.notify_one();
        self.evicted.increment(1);
        true
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Slot {
    /// Runs `wait`, the connection's wait for its client, during which the
    /// gate may close it to make room: `None` then.
    pub async fn wait<F: Future>(&self, wait: F) -> Option<F::Output> {
        let key = {
            let mut state = self.gate.lock();
            let key = state.next_wait;
            state.next_wait += 1;
            state.waiting.insert(key, self.evict.clone());
            key
        };
        let _waiting = Waiting { slot: self, key };
        tokio::select! {
            biased;
            output = wait => Some(output),
            () = self.evict.notified() => None,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.open -= 1;
        self.gate.open_gauge.set(state.open as f64);
    }
}

/// A connection's entry among the waiting, removed when its wait ends.
struct Waiting<'a> {
    slot: &'a Slot,
    key: u64,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.slot.gate.lock().waiting.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::future::{pending, poll_fn};
    use std::pin::{Pin, pin};
    use std::task::Poll;

    use super::*;

    async fn poll_once<F: Future>(future: &mut Pin<&mut F>) -> Poll<F::Output> {
        poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await
    }

    #[tokio::test]
    async fn at_the_cap_the_longest_waiting_connection_makes_room() {
        let gate = Gate::new(2);
        let (first, second) = (gate.admit().unwrap(), gate.admit().unwrap());
        assert!(gate.admit().is_none(), "both are busy");

        let (third, fourth) = {
            let mut first_wait = pin!(first.wait(pending::<()>()));
            let mut second_wait = pin!(second.wait(pending::<()>()));
            assert!(poll_once(&mut first_wait).await.is_pending());
            assert!(poll_once(&mut second_wait).await.is_pending());

            let third = gate.admit().expect("a waiting connection gives way");
            assert_eq!(poll_once(&mut first_wait).await, Poll::Ready(None));
            assert!(poll_once(&mut second_wait).await.is_pending());
            let fourth = gate.admit().expect("the next waiting one gives way");
            assert_eq!(poll_once(&mut second_wait).await, Poll::Ready(None));
            assert!(gate.admit().is_none(), "no one is waiting any more");
            (third, fourth)
        };

        drop((first, second, third));
        assert!(
            gate.admit().is_some(),
            "a closed connection frees its place"
        );
        drop(fourth);
    }

    #[tokio::test]
    async fn a_finished_wait_is_no_longer_evicted() {
        let gate = Gate::new(1);
        let only = gate.admit().unwrap();
        assert_eq!(only.wait(async { 7 }).await, Some(7));
        assert!(gate.admit().is_none());
    }
}

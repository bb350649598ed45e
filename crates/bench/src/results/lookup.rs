//! Finding one phase of a run by what it was measured at.

use super::Run;
use crate::phases::drain::DrainRun;
use crate::phases::open_loop::OpenRun;

impl Run {
    /// The batch sizes the worker was measured at.
    pub fn batch_sizes(&self) -> Vec<usize> {
        let mut sizes: Vec<usize> = self.batches.iter().map(|b| b.batch).collect();
        sizes.push(self.drain_batch);
        sizes
    }

    /// The raw upsert's rate and the worker's drain at `batch`.
    pub fn at_batch(&self, batch: usize) -> Option<(f64, &DrainRun)> {
        if batch == self.drain_batch {
            return Some((self.upsert, &self.drain));
        }
        let run = self.batches.iter().find(|b| b.batch == batch)?;
        Some((run.upsert, &run.drain))
    }

    /// The open-loop load at `fraction` of the closed-loop throughput.
    pub fn open_at(&self, fraction: f64) -> Option<&OpenRun> {
        self.open.iter().find(|o| o.fraction == fraction)
    }
}

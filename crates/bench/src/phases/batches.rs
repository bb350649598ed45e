//! The worker against the raw batched upsert at other batch sizes than the
//! default: how much of the limit the worker keeps as batches shrink or grow.

use crate::Error;
use crate::limits;
use crate::phases::drain::{self, DrainRun};
use crate::stack::Stack;

/// Batch sizes measured besides the default ([`crate::Sizes::batch`]).
pub const OTHER_BATCHES: [usize; 2] = [100, 5000];

/// The raw upsert and the worker at one batch size.
pub struct BatchRun {
    /// Votes per `BATCH_SIZE` and rows per upsert statement.
    pub batch: usize,
    /// Raw batched upsert, rows per second.
    pub upsert: f64,
    /// The worker draining a full queue at this batch size.
    pub drain: DrainRun,
}

/// At each of [`OTHER_BATCHES`]: the raw upsert of `rows`, then the worker
/// draining `votes`, side by side.
pub async fn run(stack: &mut Stack, rows: usize, votes: usize) -> Result<Vec<BatchRun>, Error> {
    let mut runs = Vec::new();
    for batch in OTHER_BATCHES {
        let postgres = crate::procs::with_children(stack.postgres_pid);
        let upsert = limits::raw_upsert(&stack.db, postgres, rows, batch)
            .await?
            .rate;
        let drain = drain::run(stack, votes, batch).await?;
        runs.push(BatchRun {
            batch,
            upsert,
            drain,
        });
    }
    Ok(runs)
}

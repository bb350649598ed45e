//! The batch-size table of BENCHMARKS.md: the worker beside the raw
//! batched upsert at each batch size, side by side in one run.

use std::fmt::Write;

use crate::failures::Failures;
use crate::results::Results;
use crate::stats;

/// One row per batch size, smallest first.
pub fn batches(md: &mut String, results: &Results) {
    let _ = writeln!(md, "\n## The worker by batch size\n");
    let _ = writeln!(
        md,
        "The worker draining {} queued votes with `BATCH_SIZE` set to each size, right after \
         the raw batched upsert of {} rows at the same size, in the same run.\n",
        stats::thousands(results.sizes.drain_votes as f64),
        stats::thousands(results.sizes.upsert_rows as f64),
    );
    let _ = writeln!(
        md,
        "| batch | raw batched upsert | worker | worker ÷ upsert | failed |\n|---|---|---|---|---|"
    );
    let Some(first) = results.runs.first() else {
        return;
    };
    let mut sizes = first.batch_sizes();
    sizes.sort_unstable();
    for batch in sizes {
        let upsert = results.figure(|r| Some(r.at_batch(batch)?.0));
        let worker = results.figure(|r| Some(r.at_batch(batch)?.1.rate));
        let ratio = results.figure(|r| {
            let (upsert, drain) = r.at_batch(batch)?;
            Some(drain.rate / upsert)
        });
        let failures = results.runs.iter().fold(Failures::none(), |all, r| {
            r.at_batch(batch)
                .map_or(all.clone(), |(_, drain)| all.and(&drain.failures))
        });
        let _ = writeln!(
            md,
            "| {batch} | {} | {} | {} | {} |",
            upsert.show(stats::per_second),
            worker.show(stats::per_second),
            ratio.show(stats::ratio),
            failures.show()
        );
    }
}

//! vote with Redis fsyncing its append-only file before every answer
//! (`appendfsync always`), to set beside the vote phase at `everysec`.
//!
//! At `everysec` an acknowledged vote survives a crash of the Redis process
//! (the file is in the kernel's page cache) but a power loss can take the
//! last second of them. At `always` Redis fsyncs once per event-loop turn,
//! before it sends that turn's replies, and vote coalesces concurrent votes
//! into one `RPUSH`, so one fsync covers a whole batch of votes.

use std::time::Duration;

use loadgen::Pace;

use crate::Error;
use crate::phases::vote::{self, VoteRun};
use crate::stack::Stack;

/// Runs the vote phase with `appendfsync always`, then sets Redis back to
/// `everysec` (also when the phase failed) for the phases after it.
pub async fn run(
    stack: &mut Stack,
    warmup: Duration,
    duration: Duration,
) -> Result<VoteRun, Error> {
    set_appendfsync(stack, "always").await?;
    let measured = vote::run(stack, Pace::Max, warmup, duration).await;
    set_appendfsync(stack, "everysec").await?;
    measured
}

async fn set_appendfsync(stack: &Stack, policy: &str) -> Result<(), Error> {
    let mut conn = stack.redis().await;
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("appendfsync")
        .arg(policy)
        .query_async(&mut conn)
        .await?;
    let (_, set): (String, String) = redis::cmd("CONFIG")
        .arg("GET")
        .arg("appendfsync")
        .query_async(&mut conn)
        .await?;
    if set != policy {
        return Err(Error::Tool {
            tool: "redis-server",
            reason: format!("appendfsync is {set:?} after setting it to {policy:?}"),
        });
    }
    Ok(())
}

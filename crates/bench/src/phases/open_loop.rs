//! vote's latency on a fixed schedule (open loop), at stated fractions of
//! the throughput the closed-loop phase measured in the same run.
//!
//! Closed loop, a stalled server only delays the next requests, so a stall
//! shows as one slow request instead of many (coordinated omission). Here
//! every vote has a due time on a clock that does not wait for answers, and
//! its latency runs from that due time, as wrk2 measures: a stall of 10 ms
//! at 40,000 votes/s shows as 400 late votes. The bare lean HTTP server
//! runs on the same schedule right after, as the floor of that latency.

use std::time::Duration;

use loadgen::Pace;

use crate::Error;
use crate::bare::Kind;
use crate::phases::bare;
use crate::phases::vote::{self, VoteRun};
use crate::stack::Stack;

/// The fractions of the measured closed-loop throughput the schedule runs at.
pub const FRACTIONS: [f64; 2] = [0.5, 0.9];

/// What one open-loop load measured.
pub struct OpenRun {
    /// The fraction of the closed-loop throughput asked for.
    pub fraction: f64,
    /// Votes per second the schedule asked for.
    pub rate: f64,
    /// vote on that schedule: its report's latency counts from due times.
    pub vote: VoteRun,
    /// The bare lean server on the same schedule.
    pub bare: VoteRun,
}

/// Runs vote on a fixed schedule at each of [`FRACTIONS`] of `throughput`
/// (votes per second), one after the other, each followed by the bare
/// lean server at the same rate. Without a throughput (the
/// closed loop failed, which its own rows show) nothing is scheduled and
/// the open-loop rows read "not measured".
pub async fn run(
    stack: &mut Stack,
    throughput: f64,
    warmup: Duration,
    duration: Duration,
) -> Result<Vec<OpenRun>, Error> {
    let mut runs = Vec::new();
    if !(throughput.is_finite() && throughput > 0.0) {
        return Ok(runs);
    }
    for fraction in FRACTIONS {
        let rate = throughput * fraction;
        let pace = Pace::Rate(rate);
        let vote = vote::run(stack, pace, warmup, duration).await?;
        let bare = bare::run(stack, Kind::Lean, pace, warmup, duration).await?;
        runs.push(OpenRun {
            fraction,
            rate,
            vote,
            bare,
        });
    }
    Ok(runs)
}

impl OpenRun {
    /// `50%`, for labels.
    pub fn percent(&self) -> String {
        percent(self.fraction)
    }
}

/// A fraction as a whole percentage: `0.5` → `50%`.
pub fn percent(fraction: f64) -> String {
    format!("{:.0}%", fraction * 100.0)
}

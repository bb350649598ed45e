//! The services measured against the limits, one module per phase.

pub mod bare;
pub mod batches;
pub mod drain;
pub mod fsync;
pub mod open_loop;
pub mod screen;
pub mod sse;
pub mod vote;
pub mod wrk;

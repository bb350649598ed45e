//! Integration tests of the vote service against a real Redis.

mod bad_input;
mod connections;
mod helpers;
mod metrics;
mod process;
mod queueing;
mod redis_outage;

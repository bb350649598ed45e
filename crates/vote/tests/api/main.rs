//! Integration tests of the vote service against a real Redis.

mod bad_input;
mod connection_cap;
mod connections;
mod helpers;
mod process;
mod queueing;
mod redis_outage;
mod shutdown;
mod slow_clients;

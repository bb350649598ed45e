//! Integration tests of the vote service against a real Redis (and, for the
//! order of votes across replicas, a real worker and PostgreSQL).

mod bad_input;
mod clocks;
mod connection_cap;
mod connections;
mod helpers;
mod metrics;
mod process;
mod queueing;
mod redis_outage;
mod shutdown;
mod slow_clients;

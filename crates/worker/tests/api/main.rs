//! Integration tests of the worker against real Redis and PostgreSQL.

mod crash;
mod dead_letters;
mod fencing;
mod health;
mod helpers;
mod metrics;
mod moving_votes;
mod outages;
mod two_workers;

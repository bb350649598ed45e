//! Integration tests of the result service against a real PostgreSQL. The
//! worker is played by the tests: they insert into `votes` and send
//! `NOTIFY votes_changed` as it does after each batch.

mod helpers;

mod api;
mod config;
mod connection_cap;
mod events;
mod metrics;
mod page;
mod password_file;
mod read_only;
mod reconcile;
mod refresh;
mod restart;
mod shutdown;
mod slow_clients;
mod tally;

//! Shared parts of the voting app.
//!
//! `vote`, `worker` and `result` are thin services over this crate: it holds
//! what they must agree on (the ballot, the queue protocol, the database
//! schema) and what they all do the same way (configuration, telemetry,
//! graceful shutdown, the process entry point).

pub mod accept;
pub mod ballot;
pub mod config;
pub mod connect;
pub mod gate;
pub mod healthcheck;
pub mod http;
mod in_flight;
pub mod limits;
pub mod queue;
pub mod schema;
pub mod service;
pub mod shutdown;
pub mod tally;
pub mod telemetry;

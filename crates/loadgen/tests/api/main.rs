//! Integration tests of loadgen against the real services on port 0, over
//! real Redis and PostgreSQL.

mod cli;
mod helpers;
mod idle;
mod ingress;
mod screen;
mod tls;
mod votes;

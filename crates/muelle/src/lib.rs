//! muelle: one command for a containerised multi-service app, from the
//! developer's laptop to a Docker Swarm. This crate is the whole CLI; the
//! binary only calls [`run`].

pub mod cli;
pub mod cmd;
pub mod deploy;
pub mod engine;
pub mod error;
pub mod image;
pub mod jsonl;
pub mod lab;
pub mod local;
pub mod project;
pub mod registry;
pub mod release;
pub mod stack;
pub mod swarm;
pub mod ui;

use std::ffi::OsString;

use clap::Parser;

pub use error::{Error, Result};

/// Runs muelle with these arguments; `Err` carries the exit code, after the
/// error has been printed as one line.
pub fn run(args: impl IntoIterator<Item = OsString>) -> Result<(), i32> {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { error::EXIT_USAGE } else { 0 };
            let _ = e.print();
            return if code == 0 { Ok(()) } else { Err(code) };
        }
    };
    init_tracing();
    let runtime = tokio::runtime::Runtime::new().map_err(|e| {
        eprintln!("muelle: cannot start the async runtime: {e}");
        error::EXIT_FAILURE
    })?;
    runtime.block_on(cmd::dispatch(cli)).map_err(|e| {
        eprintln!("muelle: {e}");
        e.code()
    })
}

/// Logs go to stderr, silent unless `RUST_LOG` asks for them.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .try_init();
}

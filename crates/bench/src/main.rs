//! `bench`: see the library for what it measures.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

fn main() -> ExitCode {
    let cli = bench::cli::Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &bench::cli::Cli) -> anyhow::Result<()> {
    let options = cli.options()?;
    // One thread, like redis-benchmark: the load generator drives the
    // services the way redis-benchmark drives Redis, on one core at most.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(bench::run(&options))?;
    Ok(())
}

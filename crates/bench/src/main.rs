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
    if let Some(kind) = cli.serve_bare {
        let port = std::env::var("PORT").context("--serve-bare needs PORT")?;
        let port = port.parse().context("PORT must be a port number")?;
        return bench::bare::serve(kind, port).context("serving the bare HTTP server");
    }
    let options = cli.options()?;
    // One thread, like redis-benchmark: the load generator drives the
    // services the way redis-benchmark drives Redis, on one core at most.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    if cli.cluster {
        runtime.block_on(bench::cluster::run(&options))?;
    } else if cli.flow {
        runtime.block_on(bench::flow::run(&options))?;
    } else {
        runtime.block_on(bench::run(&options))?;
    }
    Ok(())
}

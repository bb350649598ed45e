//! The process entry point shared by `vote`, `worker` and `result`.
//!
//! Each binary's `main` names itself and hands over two functions: one that
//! reads its configuration and one that runs it. This module does the rest the
//! same way everywhere: `--healthcheck`, logs, a one-line error for bad
//! configuration, binding `PORT`, and stopping on SIGTERM.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, Env};

/// Command line of every service; everything else comes from the environment.
#[derive(Debug, Parser)]
#[command(version, about = None)]
struct Args {
    /// Ask the running service's /healthz (on PORT) and exit 0 when healthy.
    /// Used by the container's HEALTHCHECK.
    #[arg(long)]
    healthcheck: bool,
}

/// What every service configuration tells the entry point.
pub trait ServiceConfig: Sized {
    /// Reads and checks the configuration.
    fn from_env(env: &Env) -> Result<Self, ConfigError>;
    /// The port to listen on.
    fn port(&self) -> u16;
}

/// Runs a service to completion and turns the outcome into an exit code:
/// 0 after a clean shutdown, 1 on failure, 2 on bad configuration.
pub fn main<C, F, Fut, E>(name: &'static str, run: F) -> ExitCode
where
    C: ServiceConfig,
    F: FnOnce(TcpListener, C, CancellationToken) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Into<anyhow::Error>,
{
    let args = Args::parse();
    let env = Env::process();
    if args.healthcheck {
        let port = match env.port() {
            Ok(port) => port,
            Err(e) => return fail(name, e, 2),
        };
        return match crate::healthcheck::probe(port) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(name, e, 1),
        };
    }
    crate::telemetry::init_tracing();
    raise_open_files_limit();
    let config = match C::from_env(&env) {
        Ok(config) => config,
        Err(e) => return fail(name, e, 2),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail(name, format!("cannot start the async runtime: {e}"), 1),
    };
    let outcome: anyhow::Result<()> = runtime.block_on(async move {
        let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.port()));
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            anyhow::anyhow!("cannot listen on {addr}: {e} (set PORT to a free port)")
        })?;
        tracing::info!(service = name, %addr, version = env!("CARGO_PKG_VERSION"), "listening");
        let shutdown = CancellationToken::new();
        crate::shutdown::cancel_on_signal(shutdown.clone());
        run(listener, config, shutdown).await.map_err(Into::into)
    });
    match outcome {
        Ok(()) => {
            tracing::info!(service = name, "stopped");
            ExitCode::SUCCESS
        }
        Err(e) => fail(name, format!("{e:#}"), 1),
    }
}

/// Each client connection is a file descriptor, and `result` holds thousands
/// of idle ones; shells often start processes with a soft limit of 1024. The
/// hard limit is ours to take.
fn raise_open_files_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => {
            if let Err(e) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
                tracing::warn!(error = %e, soft, "cannot raise the open files limit");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read the open files limit"),
    }
}

fn fail(name: &str, error: impl std::fmt::Display, code: u8) -> ExitCode {
    use std::io::Write;
    // Not eprintln!, which panics when stderr is gone; the exit code remains.
    let _ = writeln!(std::io::stderr(), "{name}: {error}");
    ExitCode::from(code)
}

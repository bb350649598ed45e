//! The service binaries under test, built with the benchmark's own profile
//! so that a release benchmark measures release services.

use std::path::Path;
use std::process::Command;

use crate::Error;

/// The services the benchmark starts.
const SERVICES: [&str; 3] = ["vote", "worker", "result"];

/// Builds the services into `bins` (a `target/<profile>` directory) with
/// cargo, which does nothing when they are up to date.
pub fn build(bins: &Path) -> Result<(), Error> {
    let profile = bins.file_name().and_then(|n| n.to_str()).unwrap_or("debug");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.arg("build").arg("--quiet");
    match profile {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.args(["--profile", other]);
        }
    }
    for service in SERVICES {
        command.args(["-p", service, "--bin", service]);
    }
    eprintln!("building {} ({profile})", SERVICES.join(", "));
    let status = command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .map_err(|e| Error::Build(format!("cannot run cargo: {e}")))?;
    if !status.success() {
        return Err(Error::Build(format!("cargo build exited with {status}")));
    }
    for service in SERVICES {
        if !bins.join(service).exists() {
            return Err(Error::Build(format!(
                "{} is missing after the build",
                bins.join(service).display()
            )));
        }
    }
    Ok(())
}

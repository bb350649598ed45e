//! The service binaries, for tests and benchmarks that run the real
//! processes: built with the caller's profile, so that a release benchmark
//! measures release services.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The app's services.
pub const SERVICES: [&str; 3] = ["vote", "worker", "result"];

/// The `target/<profile>` directory of the running test binary (which
/// lives in its `deps/`), where cargo puts the service binaries.
pub fn bins_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the path of the test binary");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps")
        .to_owned()
}

/// Builds the services into `bins` (a `target/<profile>` directory) with
/// cargo, which does nothing when they are up to date. Cargo builds a
/// package's binaries only for its own tests, so other crates ask here.
pub fn build_services(bins: &Path) -> Result<(), String> {
    build_binaries(bins, &SERVICES)
}

/// Builds the binary named like each package in `packages` into `bins`,
/// with the profile `bins` belongs to.
pub fn build_binaries(bins: &Path, packages: &[&str]) -> Result<(), String> {
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
    for package in packages {
        command.args(["-p", package, "--bin", package]);
    }
    eprintln!("building {} ({profile})", packages.join(", "));
    let status = command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build exited with {status}"));
    }
    for package in packages {
        if !bins.join(package).exists() {
            return Err(format!(
                "{} is missing after the build",
                bins.join(package).display()
            ));
        }
    }
    Ok(())
}

//! What can go wrong making images ready: an image that cannot be had, and
//! the host tools (debootstrap, tar, cargo) failing, each with what its
//! message needs.

use std::process::ExitStatus;

use bollard::errors::Error as BollardError;

use super::engine::words;

/// A failure to find, pull or build an image.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A third-party image is not here and the pull failed.
    #[error(
        "image {image} is not here and cannot be pulled ({}): build or load it, or name another image for {service} in the compose file",
        words(.source)
    )]
    Unavailable {
        /// The image reference.
        image: String,
        /// The compose service that names it.
        service: String,
        /// The registry's or daemon's answer.
        source: BollardError,
    },
    /// The pull said it worked, yet the image is not there.
    #[error(
        "image {image} is not here and cannot be pulled (the pull left no image): try `docker pull` by hand"
    )]
    PullLeftNoImage {
        /// The image reference.
        image: String,
    },
    /// Importing a root file system gave no image.
    #[error("cannot build {tag}: the import left no image")]
    ImportLeftNoImage {
        /// The base image's tag.
        tag: String,
    },
    /// A base image needs debootstrap, and it is not installed.
    #[error(
        "cannot build {tag}: debootstrap is not installed: {how} (or pull the official images)"
    )]
    NoDebootstrap {
        /// The base image's tag.
        tag: String,
        /// How to install it, as a sentence.
        how: String,
    },
    /// Installing debootstrap with apt-get failed.
    #[error("cannot build {tag}: `{command}` failed: {said}; install debootstrap by hand")]
    InstallFailed {
        /// The base image's tag.
        tag: String,
        /// The command that failed.
        command: String,
        /// Its last error line.
        said: String,
    },
    /// debootstrap runs only as root.
    #[error("cannot build {tag}: debootstrap needs root: run `sudo muelle bases` once")]
    NeedsRoot {
        /// The base image's tag.
        tag: String,
    },
    /// debootstrap exited non-zero.
    #[error("cannot build {tag}: {}", format!("debootstrap failed: {} {}", .last_line, .stderr.trim()).trim())]
    Debootstrap {
        /// The base image's tag.
        tag: String,
        /// The last line it printed on stdout.
        last_line: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// tar of the root file system gave no output stream.
    #[error("cannot build {tag}: tar gave no output")]
    TarNoOutput {
        /// The base image's tag.
        tag: String,
    },
    /// tar of the root file system failed.
    #[error("cannot build {tag}: tar of the root file system failed ({status})")]
    Tar {
        /// The base image's tag.
        tag: String,
        /// tar's exit status.
        status: ExitStatus,
    },
    /// cargo could not be started.
    #[error(
        "cannot build the services: cannot run cargo: {source}; install Rust (https://rustup.rs)"
    )]
    NoCargo {
        /// Why it did not start.
        source: std::io::Error,
    },
    /// cargo build failed.
    #[error("cannot build {}: cargo build failed: {}", .services.join(", "), .errors.join(" | "))]
    Cargo {
        /// The services being compiled.
        services: Vec<String>,
        /// cargo's first `error` lines.
        errors: Vec<String>,
    },
    /// cargo succeeded but did not report the binary a service needs.
    #[error("cannot build {service}: cargo built no binary named {bin}")]
    NoBinary {
        /// The service.
        service: String,
        /// The binary's name.
        bin: String,
    },
}

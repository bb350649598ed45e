//! The `bench` command line.

use std::path::{Path, PathBuf};

use clap::Parser;

use crate::{Error, Options, Sizes};

/// Runs the full benchmark this many times unless told otherwise.
const DEFAULT_RUNS: usize = 5;

/// Measures the machine's limits and the voting app against them, side by
/// side, and writes BENCHMARKS.md with a plot.
#[derive(Debug, Parser)]
#[command(name = "bench", version)]
pub struct Cli {
    /// A run of seconds that checks every phase works (for CI), written
    /// under target/bench-smoke unless --out says otherwise.
    #[arg(long)]
    pub smoke: bool,
    /// How many times to run every phase [default: 5, or 1 with --smoke].
    #[arg(long)]
    pub runs: Option<usize>,
    /// Where to write BENCHMARKS.md and BENCHMARKS.svg [default: the
    /// workspace root].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Measure the app as a Swarm stack on a lab instead (`muelle lab`,
    /// started for the run and removed after it): throughput through the
    /// ingress, rolling update and rollback. Rewrites only the Cluster
    /// section of BENCHMARKS.md.
    #[arg(long, conflicts_with = "flow")]
    pub cluster: bool,
    /// Measure the developer loop instead: a warm `muelle up`, and
    /// `muelle up --watch vote` from a save of vote's page to the new page
    /// served (the source is restored after). Rewrites only the Developer
    /// loop section of BENCHMARKS.md.
    #[arg(long)]
    pub flow: bool,
    /// Use the service binaries as they are instead of building them.
    #[arg(long)]
    pub no_build: bool,
    /// Serve a bare HTTP server on `$PORT` instead (the benchmark starts
    /// itself so to measure the HTTP ceiling).
    #[arg(long, hide = true, value_enum)]
    pub serve_bare: Option<crate::bare::Kind>,
}

impl Cli {
    /// The options this command line asks for.
    pub fn options(&self) -> Result<Options, Error> {
        let exe = std::env::current_exe().map_err(|source| Error::Io {
            what: "finding the benchmark's own binary".into(),
            source,
        })?;
        let bins = exe.parent().unwrap_or(Path::new(".")).to_owned();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let root = root.canonicalize().unwrap_or(root);
        let runs = self
            .runs
            .unwrap_or(if self.smoke { 1 } else { DEFAULT_RUNS })
            .max(1);
        let out = self.out.clone().unwrap_or_else(|| {
            if self.smoke {
                bins.parent().unwrap_or(&root).join("bench-smoke")
            } else {
                root.clone()
            }
        });
        let release = bins.file_name().is_some_and(|n| n == "release");
        let mut command = format!(
            "cargo run {}-p bench",
            if release { "--release " } else { "" }
        );
        let mut extra = Vec::new();
        if self.smoke {
            extra.push("--smoke".to_owned());
        }
        if self.cluster {
            extra.push("--cluster".to_owned());
        }
        if self.flow {
            extra.push("--flow".to_owned());
        }
        if self.runs.is_some() {
            extra.push(format!("--runs {runs}"));
        }
        if !extra.is_empty() {
            command = format!("{command} -- {}", extra.join(" "));
        }
        Ok(Options {
            sizes: if self.smoke {
                Sizes::smoke()
            } else {
                Sizes::full()
            },
            runs,
            out,
            bins,
            build: !self.no_build,
            command,
            with_flow: !self.smoke && !self.cluster && !self.flow,
        })
    }
}

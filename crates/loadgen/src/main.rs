//! `loadgen`: see the library for what it does.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = loadgen::cli::Cli::parse();
    match loadgen::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

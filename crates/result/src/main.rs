//! The `result` binary: everything but the entry point lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    voting::service::main("result", result::run)
}

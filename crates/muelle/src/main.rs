//! The `muelle` command: everything lives in the library, so the whole CLI
//! can be driven in-process by tests.

fn main() {
    if let Err(code) = muelle::run(std::env::args_os()) {
        std::process::exit(code);
    }
}

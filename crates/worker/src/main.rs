//! The `worker` service: see the library for what it does.

fn main() -> std::process::ExitCode {
    voting::service::main("worker", worker::run)
}

//! Nothing but the end-to-end tests in `tests/browser`: Cargo needs a target
//! besides tests, and this crate is never published.

//! Releases: how a version is named, what git says about the commit, the
//! publish plan and its execution, and the release log of prod pushes.

pub mod git;
pub mod log;
pub mod publish;
pub mod version;

pub use crate::error::release::Error;

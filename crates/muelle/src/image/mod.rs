//! Images: offline base images, build contexts made in memory, and the
//! images a set of services needs, found, pulled, stood in for or built.

pub mod bases;
pub mod context;
pub mod error;
pub mod prepare;

pub use error::Error;

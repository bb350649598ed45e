//! Images: offline base images (and what the host gives them: its Debian
//! mirror, debootstrap), build contexts made in memory, host builds of the
//! project's services, and the images a set of services needs, found,
//! pulled, stood in for or built.

pub mod bases;
pub mod context;
pub mod host;
pub mod host_build;
pub mod prepare;
pub mod resolve;

pub use crate::error::image::Error;

//! Images: offline base images (and what the host gives them: its Debian
//! mirror, debootstrap), build contexts made in memory, host builds of the
//! project's services, the images a set of services needs, found, pulled,
//! stood in for or built, and pushes shown layer by layer.

pub mod bases;
pub mod context;
pub mod host;
pub mod host_build;
pub mod prepare;
pub mod push;
pub mod resolve;

pub use crate::error::image::Error;

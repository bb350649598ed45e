//! What people see on the terminal while muelle works.

pub mod alerts;
pub mod cluster;
pub mod palette;
pub mod progress;

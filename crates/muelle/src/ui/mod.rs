//! What people see on the terminal while muelle works.

pub mod progress;

//! Docker Swarm: what a stack on a cluster is made of and how it is doing.

pub mod inventory;

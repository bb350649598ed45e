//! muelle's command line against the real Docker engine. One binary, one
//! module per feature; `common` holds the `Test` builder and the clean-up
//! guard that removes every container, network, volume and image a test made.

mod bases;
mod common;
mod completions;
mod deploy;
mod engine;
mod errors;
mod lab;
mod push;
mod registries;
mod registry_auth;
mod stack_swarm;
mod status;
mod swarm_node;
mod voting;
mod watch;

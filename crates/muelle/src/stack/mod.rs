//! Swarm stacks: the stack file (`deploy/stack.yaml` and its overrides) read
//! into typed keys, checked the way Swarm would check them, and turned into
//! the Engine API objects a deploy creates or updates, named as
//! `docker stack deploy` names them (`<stack>_<service>`, the
//! `com.docker.stack.namespace` label), so `docker stack ps` sees them.

mod check;
#[cfg(test)]
mod fixture;
mod load;
mod locate;
mod merge;
pub mod model;
mod spec;

use std::collections::BTreeMap;

use bollard::models::{ConfigSpec, NetworkCreateRequest, SecretSpec, ServiceSpec};

pub use crate::error::stack::Error;
pub use load::{HASH_DIGITS, StackSource, content_hash, hash_variable, load};
pub use model::StackFile;
pub use spec::{IMAGE_LABEL, plan};

/// Label `docker stack deploy` puts on everything of a stack.
pub const NAMESPACE_LABEL: &str = "com.docker.stack.namespace";

/// Everything one deploy of a stack asks Swarm for, in the order it is made:
/// networks, secrets and configs first, then the services that use them.
#[derive(Debug, Clone, Default)]
pub struct StackPlan {
    /// The stack's name (`docker stack deploy … <name>`).
    pub namespace: String,
    /// Overlay networks, each with its full name (`<stack>_<network>`).
    pub networks: Vec<NetworkCreateRequest>,
    /// Secrets, named by a hash of their content (immutable in Swarm).
    pub secrets: Vec<SecretSpec>,
    /// Configs, named by a hash of their content (immutable in Swarm).
    pub configs: Vec<ConfigSpec>,
    /// Services by their name in the stack file (`vote`); each spec's
    /// `name` is the full one (`voting_vote`).
    pub services: BTreeMap<String, ServiceSpec>,
}

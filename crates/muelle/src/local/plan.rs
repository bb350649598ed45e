//! Plans for `up` and `down`, computed from what is wanted and what Docker
//! has, without touching Docker (kamal's split: build the commands, then run
//! them). Plans print as text, one step a line, which is what tests compare.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::local::spec::ContainerSpec;

/// A container that exists, as far as planning cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    /// Its compose service.
    pub service: String,
    /// Whether it runs.
    pub running: bool,
    /// Its configuration hash label, if muelle made it.
    pub hash: Option<String>,
}

/// What Docker has for the project.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Containers by name.
    pub containers: BTreeMap<String, Existing>,
    /// Network names.
    pub networks: BTreeSet<String>,
    /// Volume names.
    pub volumes: BTreeSet<String>,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create a project network.
    CreateNetwork(String),
    /// Create a named volume.
    CreateVolume(String),
    /// Stop and remove a container.
    Remove {
        /// Container name.
        container: String,
        /// Why, for the reader.
        reason: &'static str,
    },
    /// Create a service's container.
    Create {
        /// The service.
        service: String,
        /// Container name.
        container: String,
    },
    /// Start a service's container.
    Start {
        /// The service.
        service: String,
        /// Container name.
        container: String,
    },
    /// Leave a running, up-to-date container alone.
    Keep {
        /// The service.
        service: String,
    },
    /// Wait until these services run and pass their health checks.
    Wait(Vec<String>),
    /// Remove a project network.
    RemoveNetwork(String),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::CreateNetwork(n) => write!(f, "create network {n}"),
            Step::CreateVolume(v) => write!(f, "create volume {v}"),
            Step::Remove { container, reason } => write!(f, "remove {container} ({reason})"),
            Step::Create { service, container } => write!(f, "create {container} for {service}"),
            Step::Start { container, .. } => write!(f, "start {container}"),
            Step::Keep { service } => write!(f, "keep {service} (up to date)"),
            Step::Wait(services) => write!(f, "wait for {} to be healthy", services.join(", ")),
            Step::RemoveNetwork(n) => write!(f, "remove network {n}"),
        }
    }
}

/// An ordered list of steps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan(pub Vec<Step>);

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.0 {
            writeln!(f, "{step}")?;
        }
        Ok(())
    }
}

/// Brings `levels` of services (each level depending only on earlier ones)
/// up to their specs: missing objects are created, changed containers
/// replaced, stopped ones started, and each level waited for before the next.
pub fn up(
    levels: &[Vec<&ContainerSpec>],
    external_networks: &BTreeSet<String>,
    observed: &Observed,
) -> Plan {
    let mut steps = Vec::new();
    let specs = levels.iter().flatten();
    let networks: BTreeSet<&String> = specs
        .clone()
        .flat_map(|s| s.networks.iter().map(|(n, _)| n))
        .collect();
    for network in networks {
        if !observed.networks.contains(network) && !external_networks.contains(network) {
            steps.push(Step::CreateNetwork(network.clone()));
        }
    }
    let volumes: BTreeSet<&String> = specs.flat_map(|s| s.volumes.iter()).collect();
    for volume in volumes {
        if !observed.volumes.contains(volume) {
            steps.push(Step::CreateVolume(volume.clone()));
        }
    }
    for level in levels {
        for spec in level {
            let create = Step::Create {
                service: spec.service.clone(),
                container: spec.name.clone(),
            };
            let start = Step::Start {
                service: spec.service.clone(),
                container: spec.name.clone(),
            };
            // A container of this service under another name (e.g. made by
            // docker-compose v1, which names it `p_service_1`) is replaced.
            let mut current = None;
            for (name, c) in observed
                .containers
                .iter()
                .filter(|(_, c)| c.service == spec.service)
            {
                if name == &spec.name && c.hash.as_deref() == Some(spec.hash.as_str()) {
                    current = Some(c.running);
                } else {
                    steps.push(Step::Remove {
                        container: name.clone(),
                        reason: if name == &spec.name {
                            "image or configuration changed"
                        } else {
                            "made by another tool"
                        },
                    });
                }
            }
            match current {
                Some(true) => steps.push(Step::Keep {
                    service: spec.service.clone(),
                }),
                Some(false) => steps.push(start),
                None => steps.extend([create, start]),
            }
        }
        steps.push(Step::Wait(
            level.iter().map(|s| s.service.clone()).collect(),
        ));
    }
    Plan(steps)
}

/// Removes the containers of `services` (dependents first, given `levels` in
/// start order), keeping volumes. With `everything`, also the project's other
/// containers (services no longer in the compose file) and its networks.
pub fn down(levels: &[Vec<String>], observed: &Observed, everything: bool) -> Plan {
    let mut steps = Vec::new();
    let wanted: BTreeSet<&String> = levels.iter().flatten().collect();
    if everything {
        for (name, c) in &observed.containers {
            if !wanted.contains(&c.service) {
                steps.push(Step::Remove {
                    container: name.clone(),
                    reason: "not in the compose file",
                });
            }
        }
    }
    for level in levels.iter().rev() {
        for service in level {
            for (name, c) in &observed.containers {
                if &c.service == service {
                    steps.push(Step::Remove {
                        container: name.clone(),
                        reason: "down",
                    });
                }
            }
        }
    }
    if everything {
        steps.extend(observed.networks.iter().cloned().map(Step::RemoveNetwork));
    }
    Plan(steps)
}

#[cfg(test)]
mod tests;

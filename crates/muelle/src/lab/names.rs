//! What the lab's objects on the host engine are called and labelled:
//! `<lab>` for the network, `<lab>-node-N`, `<lab>-registry`, `<lab>-pebble`
//! for containers, `<container>-data` for their volumes, each labelled
//! `muelle.lab=<lab>` so `down` and `find` need nothing but the name.

use std::collections::HashMap;

use super::Error;

/// Label every object of a lab carries, valued with the lab's name.
pub const LAB_LABEL: &str = "muelle.lab";
/// What an object is in its lab: `node`, `registry`, `pebble` or `network`.
pub const ROLE_LABEL: &str = "muelle.lab.role";
/// The node a node container (or its volume) is.
pub const NODE_LABEL: &str = "muelle.lab.node";
/// On the network: the domain the ingress certificate is for.
pub const DOMAIN_LABEL: &str = "muelle.lab.domain";
/// On the network: the lab's state directory.
pub const STATE_LABEL: &str = "muelle.lab.state";
/// On the network: the Debian suite the stand-ins were built for (their tag).
pub const SUITE_LABEL: &str = "muelle.lab.suite";

/// The roles of the lab's containers.
pub mod role {
    /// A Swarm node (docker-in-docker).
    pub const NODE: &str = "node";
    /// The registry every node pulls from.
    pub const REGISTRY: &str = "registry";
    /// The ACME server.
    pub const PEBBLE: &str = "pebble";
    /// The lab's network.
    pub const NETWORK: &str = "network";
}

/// The most nodes a lab may have.
pub const MAX_NODES: usize = 9;
/// The longest lab name: node names (`<lab>-node-N`) are host names.
const MAX_NAME: usize = 40;

/// The names of one lab's objects.
#[derive(Debug, Clone)]
pub struct Names {
    lab: String,
}

impl Names {
    /// The names of lab `lab`, which must be a usable name.
    pub fn new(lab: &str) -> Result<Names, Error> {
        check(lab)?;
        Ok(Names {
            lab: lab.to_owned(),
        })
    }

    /// The lab's name.
    pub fn lab(&self) -> &str {
        &self.lab
    }

    /// The lab's private network.
    pub fn network(&self) -> &str {
        &self.lab
    }

    /// The registry's container.
    pub fn registry(&self) -> String {
        format!("{}-registry", self.lab)
    }

    /// The ACME server's container.
    pub fn pebble(&self) -> String {
        format!("{}-pebble", self.lab)
    }

    /// Node `n` (from 1; node 1 is the manager): container and host name.
    pub fn node(&self, n: usize) -> String {
        format!("{}-node-{n}", self.lab)
    }

    /// The volume holding a container's data.
    pub fn volume(container: &str) -> String {
        format!("{container}-data")
    }

    /// The filter that finds every object of the lab.
    pub fn filter(&self) -> Vec<String> {
        vec![format!("{LAB_LABEL}={}", self.lab)]
    }

    /// The labels of an object of the lab with `role` (and `node`, for nodes).
    pub fn labels(&self, role: &str, node: Option<&str>) -> HashMap<String, String> {
        let mut labels = HashMap::from([
            (LAB_LABEL.to_owned(), self.lab.clone()),
            (ROLE_LABEL.to_owned(), role.to_owned()),
        ]);
        if let Some(node) = node {
            labels.insert(NODE_LABEL.to_owned(), node.to_owned());
        }
        labels
    }
}

/// Whether `name` can name a lab: lowercase letters, digits and dashes,
/// starting with a letter, at most 40 long.
pub fn check(name: &str) -> Result<(), Error> {
    let usable = name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if usable {
        Ok(())
    } else {
        Err(Error::BadName {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Names, check};

    #[test]
    fn names_follow_the_lab() {
        let names = Names::new("muelle-lab").unwrap();
        assert_eq!(names.node(1), "muelle-lab-node-1");
        assert_eq!(names.registry(), "muelle-lab-registry");
        assert_eq!(names.pebble(), "muelle-lab-pebble");
        assert_eq!(Names::volume(&names.node(2)), "muelle-lab-node-2-data");
        assert_eq!(names.filter(), ["muelle.lab=muelle-lab"]);
    }

    #[test]
    fn lab_names_must_make_host_names() {
        for good in ["muelle-lab", "a", "lab2", "muelle-test-123-0"] {
            assert!(check(good).is_ok(), "{good}");
        }
        for bad in ["", "Lab", "1lab", "lab_1", "lab.x", "lab-", &"a".repeat(41)] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}

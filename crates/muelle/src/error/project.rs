//! What can be wrong with a project: no manifest, a manifest or compose
//! file muelle cannot use, a name on the command line that is not there.
//! Every kind is the user's input, so every kind exits with the usage code.

use std::path::PathBuf;

/// A project muelle cannot work on as given.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No manifest was found by walking up from the working directory.
    #[error(
        "no muelle.toml in {} or any parent directory: run muelle inside a project or pass --manifest",
        .start.display()
    )]
    ManifestNotFound {
        /// Where the search started.
        start: PathBuf,
    },
    /// The manifest does not describe a valid project.
    #[error("{}: {problem}", .path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong, naming the key (and the line for syntax).
        problem: String,
    },
    /// The compose file uses something muelle does not understand.
    #[error("{}: {problem}", .path.display())]
    Compose {
        /// The compose file.
        path: PathBuf,
        /// What is wrong, naming the service or key.
        problem: String,
    },
    /// A `--label` is not `key=value`.
    #[error("--label {label:?}: give key=value")]
    BadLabel {
        /// The label as given.
        label: String,
    },
    /// A target on the command line is neither a service nor a group.
    #[error("unknown target `{name}`: choose one of {}", .known.join(", "))]
    UnknownTarget {
        /// What the user typed.
        name: String,
        /// The targets that exist: `all`, the groups, the services.
        known: Vec<String>,
    },
    /// A service on the command line is not one muelle builds.
    #[error("unknown service `{name}`: muelle builds {}", .known.join(", "))]
    UnknownService {
        /// What the user typed.
        name: String,
        /// The services of the manifest.
        known: Vec<String>,
    },
    /// `--env` names an environment the manifest does not declare.
    #[error("unknown environment `{name}`: choose {}", declared(.known))]
    UnknownEnvironment {
        /// What the user typed.
        name: String,
        /// The environments of the manifest.
        known: Vec<String>,
    },
}

/// The declared environments and the lab, or how to declare one.
fn declared(known: &[String]) -> String {
    if known.is_empty() {
        "lab (`muelle lab up`), or add [environments.<name>] with registry and repository to muelle.toml".into()
    } else {
        format!(
            "{} (muelle.toml's [environments]) or lab (`muelle lab up`)",
            known.join(", ")
        )
    }
}

//! The command line: global options and one variant per subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Which Docker Engine muelle talks to, said under `muelle --help`.
const ENGINE_HELP: &str = "Docker Engine: DOCKER_HOST (unix://, tcp:// with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, ssh://), else DOCKER_CONTEXT, else the current context of $DOCKER_CONFIG/config.json, else /var/run/docker.sock.";

/// From a laptop to a monitored Docker Swarm.
#[derive(Debug, Parser)]
#[command(
    name = "muelle",
    version,
    about,
    propagate_version = true,
    after_help = ENGINE_HELP
)]
pub struct Cli {
    /// The manifest (default: the nearest muelle.toml upwards).
    #[arg(long, global = true, env = "MUELLE_MANIFEST")]
    pub manifest: Option<PathBuf>,
    /// Project name for containers, networks and volumes (default: the manifest's).
    #[arg(long, short = 'p', global = true, env = "MUELLE_PROJECT")]
    pub project_name: Option<String>,
    /// Extra label KEY=VALUE on everything muelle creates (repeatable).
    #[arg(
        long = "label",
        global = true,
        env = "MUELLE_LABELS",
        value_delimiter = ','
    )]
    pub labels: Vec<String>,
    /// Never install a missing host tool (debootstrap, for offline base
    /// images) with apt-get; say the command instead.
    #[arg(long, global = true, env = "MUELLE_NO_INSTALL")]
    pub no_install: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build what changed and start services or groups, waiting until healthy.
    Up(UpArgs),
    /// Stop and remove services or groups, keeping their data volumes.
    Down(DownArgs),
    /// Delete the app's data (the votes), and nothing else.
    Reset(ResetArgs),
    /// Show the project's containers.
    Ps,
    /// Show a service's output, or every service's.
    Logs(LogsArgs),
    /// Build the offline base images (Debian, runtime, Redis, PostgreSQL).
    Bases(BasesArgs),
    /// Build the services' images with OCI labels (revision, version, created, source).
    Build(BuildArgs),
    /// Build, tag (date, sha, latest) and push the services' images to an environment.
    Push(PushArgs),
    /// List the prod releases from the release log, checked against the registry.
    Releases(ReleasesArgs),
    /// Show an environment's cluster: nodes, their tasks, the services and what is not converged.
    Status(StatusArgs),
    /// Deploy the stack to an environment's swarm, images by digest, and check the truth.
    Deploy(DeployArgs),
    /// Roll one service out to a tag or digest, or again (`--force`), and check the truth.
    Update(UpdateArgs),
    /// Roll one service back to its previous version in the deploy history, or to one named.
    Rollback(RollbackArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// A multi-node Docker Swarm on this machine: docker-in-docker nodes, a registry, an ACME server.
    Lab(LabArgs),
}

/// `muelle up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Services or groups (default: all).
    pub targets: Vec<String>,
    /// Keep running, rebuilding and restarting a service when its sources change.
    #[arg(long, short = 'w')]
    pub watch: bool,
}

/// `muelle down`.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// Services or groups (default: all, with the project's networks).
    pub targets: Vec<String>,
}

/// `muelle reset`.
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Do not ask for confirmation (required without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Start the whole app afterwards.
    #[arg(long)]
    pub up: bool,
}

/// `muelle logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The service (default: all).
    pub service: Option<String>,
    /// Keep printing new output.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only the last N lines of each.
    #[arg(long)]
    pub tail: Option<usize>,
}

/// `muelle bases`.
#[derive(Debug, Args)]
pub struct BasesArgs {
    /// Rebuild even when the images are current.
    #[arg(long)]
    pub force: bool,
    /// Debian mirror (default: the manifest's, else the host's apt source for the suite, else deb.debian.org).
    #[arg(long, env = "MUELLE_DEBIAN_MIRROR")]
    pub mirror: Option<String>,
}

/// `muelle completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `muelle build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Services of the manifest's `[services]` (default: all of them).
    pub services: Vec<String>,
}

/// `muelle push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The environment of the manifest's `[environments]`, e.g. dev or prod.
    #[arg(long = "env", short = 'e', env = "MUELLE_ENV")]
    pub environment: String,
    /// Services of the manifest's `[services]` (default: all of them).
    pub services: Vec<String>,
    /// Release message for the log of a prod push (default: asked on a
    /// terminal, else the commit's subject).
    #[arg(long, short = 'm')]
    pub message: Option<String>,
    /// Do not move the `latest` tag.
    #[arg(long)]
    pub no_latest: bool,
    /// Push to prod from a work tree with uncommitted changes.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Afterwards remove the local names the push gave the images (registry/repository:tag).
    #[arg(long)]
    pub prune: bool,
}

/// `muelle releases`.
#[derive(Debug, Args)]
pub struct ReleasesArgs {
    /// Only this service's releases.
    pub service: Option<String>,
    /// List the log without asking the registry.
    #[arg(long)]
    pub no_check: bool,
}

/// `muelle status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The environment whose cluster to show: `lab`, or one of the manifest's `[environments]`.
    #[arg(long = "env", short = 'e', env = "MUELLE_ENV")]
    pub environment: String,
    /// Print the nodes, services, tasks and warnings as JSON (with --watch, one line per change).
    #[arg(long)]
    pub json: bool,
    /// Keep watching: poll every second and redraw when something changed (Ctrl-C stops).
    #[arg(long, short = 'w')]
    pub watch: bool,
    /// Every service of the swarm, not only the project's stack.
    #[arg(long)]
    pub all: bool,
}

/// `muelle lab`.
#[derive(Debug, Args)]
pub struct LabArgs {
    /// What to do with the lab.
    #[command(subcommand)]
    pub command: LabCommand,
}

/// The `lab` subcommands.
#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Make the lab, or complete it (idempotent), and say how to use it.
    Up(LabUpArgs),
    /// Remove every container, network and volume of the lab, and its state.
    Down(LabNameArgs),
    /// Show the lab's nodes, registry and ingress.
    Status(LabStatusArgs),
}

/// Which lab.
#[derive(Debug, Args)]
pub struct LabNameArgs {
    /// The lab's name (it prefixes its containers, network and volumes).
    #[arg(long, env = "MUELLE_LAB", default_value = crate::lab::DEFAULT_NAME)]
    pub name: String,
}

/// `muelle lab up`.
#[derive(Debug, Args)]
pub struct LabUpArgs {
    /// Which lab.
    #[command(flatten)]
    pub lab: LabNameArgs,
    /// Swarm nodes, the manager included.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=crate::lab::MAX_NODES as i64))]
    pub nodes: u8,
    /// The domain the ingress gets its certificate for.
    #[arg(long, default_value = crate::lab::DEFAULT_DOMAIN)]
    pub domain: String,
}

/// `muelle lab status`.
#[derive(Debug, Args)]
pub struct LabStatusArgs {
    /// Which lab.
    #[command(flatten)]
    pub lab: LabNameArgs,
    /// Print the lab as JSON, for scripts.
    #[arg(long)]
    pub json: bool,
}

/// How a rollout is followed, shared by `deploy`, `update` and `rollback`.
#[derive(Debug, Args)]
pub struct FollowArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Return once Swarm has the new specs, without following or checking the rollout.
    #[arg(long)]
    pub detach: bool,
    /// Give up following after this long (a failed rollout), e.g. 90s or 5m.
    #[arg(long, default_value = "5m", value_parser = crate::project::duration::parse_duration)]
    pub timeout: std::time::Duration,
}

/// `muelle deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The environment: one of the manifest's `[environments]`, or `lab`.
    #[arg(long = "env", short = 'e', env = "MUELLE_ENV")]
    pub environment: String,
    /// Services of the stack (default: all of them).
    pub services: Vec<String>,
    /// The tag of the app images (default: the current commit's, as `muelle push` tags it).
    #[arg(long, conflicts_with = "stack")]
    pub tag: Option<String>,
    /// Deploy one of the manifest's `[stacks]` (e.g. monitoring) instead of the app's.
    #[arg(long, value_name = "NAME")]
    pub stack: Option<String>,
    /// Output and following.
    #[command(flatten)]
    pub follow: FollowArgs,
}

/// `muelle update`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("rollout").required(true).args(["tag", "digest", "force"]))]
pub struct UpdateArgs {
    /// The service of the stack.
    pub service: String,
    /// The environment: one of the manifest's `[environments]`, or `lab`.
    #[arg(long = "env", short = 'e', env = "MUELLE_ENV")]
    pub environment: String,
    /// Roll out the image this tag names in the environment's registry.
    #[arg(long)]
    pub tag: Option<String>,
    /// Roll out this image digest (sha256:…).
    #[arg(long)]
    pub digest: Option<String>,
    /// Roll the running version out again (a rolling restart).
    #[arg(long)]
    pub force: bool,
    /// Output and following.
    #[command(flatten)]
    pub follow: FollowArgs,
}

/// `muelle rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The service of the stack.
    pub service: String,
    /// The environment: one of the manifest's `[environments]`, or `lab`.
    #[arg(long = "env", short = 'e', env = "MUELLE_ENV")]
    pub environment: String,
    /// A history id, tag or digest of the deploy history (default: the
    /// version before the one deployed now).
    #[arg(long = "to")]
    pub to: Option<String>,
    /// Output and following.
    #[command(flatten)]
    pub follow: FollowArgs,
}

//! One module per subcommand, each with `run(args, ctx)`.

mod bases;
mod build;
mod completions;
mod deploy;
mod down;
mod lab;
mod logs;
mod ps;
mod push;
mod releases;
mod reset;
mod rollback;
mod status;
mod up;
mod update;

use std::path::PathBuf;

use bollard::Docker;

use crate::cli::{Cli, Command};
use crate::engine::{self, Endpoint};
use crate::error::{Error, Result};
use crate::project::{Project, Selection};
use crate::ui::progress::Progress;

/// What every command gets: how the project was selected, and the progress display.
pub struct Ctx {
    /// Manifest, project name and labels from the command line.
    pub selection: Selection,
    /// The working directory.
    pub cwd: PathBuf,
    /// Progress on stderr.
    pub progress: Progress,
}

impl Ctx {
    /// Connects to the Docker Engine the environment selects
    /// (`DOCKER_HOST`, `DOCKER_CONTEXT`, the current context, the socket).
    pub async fn docker(&self) -> Result<Docker> {
        let endpoint = Endpoint::from_env()?;
        Ok(engine::connect(&endpoint).await?)
    }

    /// Loads the selected project.
    pub fn project(&self) -> Result<Project> {
        Project::load(&self.selection, &self.cwd)
    }
}

/// Runs the parsed command line.
pub async fn dispatch(cli: Cli) -> Result<()> {
    let ctx = Ctx {
        selection: Selection {
            manifest: cli.manifest,
            project_name: cli.project_name,
            labels: cli.labels,
            no_install: cli.no_install,
        },
        cwd: std::env::current_dir().map_err(Error::io("read the working directory"))?,
        progress: Progress::new(),
    };
    match cli.command {
        Command::Up(args) => up::run(args, &ctx).await,
        Command::Down(args) => down::run(args, &ctx).await,
        Command::Reset(args) => reset::run(args, &ctx).await,
        Command::Ps => ps::run(&ctx).await,
        Command::Logs(args) => logs::run(args, &ctx).await,
        Command::Bases(args) => bases::run(args, &ctx).await,
        Command::Build(args) => build::run(args, &ctx).await,
        Command::Push(args) => push::run(args, &ctx).await,
        Command::Releases(args) => releases::run(args, &ctx).await,
        Command::Status(args) => status::run(args, &ctx).await,
        Command::Deploy(args) => deploy::run(args, &ctx).await,
        Command::Update(args) => update::run(args, &ctx).await,
        Command::Rollback(args) => rollback::run(args, &ctx).await,
        Command::Completions(args) => completions::run(args),
        Command::Lab(args) => lab::run(args, &ctx).await,
    }
}

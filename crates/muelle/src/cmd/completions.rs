//! `muelle completions bash|zsh|fish`: the completion script on stdout.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Result;

/// Prints the completion script for the shell.
pub fn run(args: CompletionsArgs) -> Result<()> {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "muelle",
        &mut std::io::stdout(),
    );
    Ok(())
}

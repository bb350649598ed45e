//! `muelle lab up / down / status`: a multi-node Swarm on this machine.

use std::fmt::Write as _;

use crate::cli::{LabArgs, LabCommand, LabNameArgs, LabStatusArgs, LabUpArgs};
use crate::error::{Error, Result};
use crate::lab::{self, DEFAULT_NAME, LabInfo, LabOptions};

use super::Ctx;

/// Runs one `lab` subcommand.
pub async fn run(args: LabArgs, ctx: &Ctx) -> Result<()> {
    match args.command {
        LabCommand::Up(args) => up(args, ctx).await,
        LabCommand::Down(args) => down(args, ctx).await,
        LabCommand::Status(args) => status(args, ctx).await,
    }
}

/// Makes or completes the lab, then says how to use it.
async fn up(args: LabUpArgs, ctx: &Ctx) -> Result<()> {
    let name = args.lab.name;
    lab::names::check(&name)?;
    let docker = ctx.docker().await?;
    let project = ctx.project()?;
    let opts = LabOptions {
        state_dir: lab::state::default_dir(&name)?,
        name,
        nodes: usize::from(args.nodes),
        domain: args.domain,
    };
    let info = lab::up(
        &docker,
        &project.root,
        &project.manifest.bases,
        &opts,
        &ctx.progress,
    )
    .await?;
    print!("{}", render(&info));
    println!();
    let env = if info.name == DEFAULT_NAME {
        String::new()
    } else {
        format!("MUELLE_LAB={} ", info.name)
    };
    println!("Deploy to it:  {env}muelle push --env lab && {env}muelle deploy --env lab");
    println!("Docker CLI:    export DOCKER_HOST={}", info.endpoint);
    println!("Remove it:     muelle lab down{}", name_flag(&info.name));
    Ok(())
}

/// Removes the lab; one that is not there is fine.
async fn down(args: LabNameArgs, ctx: &Ctx) -> Result<()> {
    let docker = ctx.docker().await?;
    let removed = lab::down(&docker, &args.name, &ctx.progress).await?;
    if removed.is_empty() {
        println!("no lab `{}`: nothing to remove", args.name);
    } else {
        println!(
            "removed lab `{}`: {} containers, {} networks, {} volumes{}",
            args.name,
            removed.containers.len(),
            removed.networks.len(),
            removed.volumes.len(),
            removed
                .state_dir
                .map(|d| format!(", {}", d.display()))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// Prints the lab, for people or as JSON.
async fn status(args: LabStatusArgs, ctx: &Ctx) -> Result<()> {
    let docker = ctx.docker().await?;
    let name = args.lab.name;
    let info = lab::find(&docker, &name)
        .await?
        .ok_or(lab::Error::NotFound { name })?;
    if args.json {
        let text = serde_json::to_string_pretty(&info)
            .map_err(|e| Error::io("write the lab as JSON")(std::io::Error::other(e)))?;
        println!("{text}");
    } else {
        print!("{}", render(&info));
    }
    Ok(())
}

/// ` --name NAME` unless the lab has the default name.
fn name_flag(name: &str) -> String {
    if name == DEFAULT_NAME {
        String::new()
    } else {
        format!(" --name {name}")
    }
}

/// The lab for people: where everything is, then a line per node.
fn render(info: &LabInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "lab {} (ingress for {})", info.name, info.domain);
    let _ = writeln!(out, "  engine    {}", info.endpoint);
    let _ = writeln!(out, "  registry  {}", info.registry);
    let _ = writeln!(
        out,
        "  ingress   {}  {}",
        info.ingress.http, info.ingress.https
    );
    let _ = writeln!(out, "  acme      {}", info.pebble.directory);
    let _ = writeln!(out, "  state     {}", info.state_dir.display());
    let _ = writeln!(
        out,
        "  {:<24} {:<8} {:<8} {:<12} {:<16} CONTAINER",
        "NODE", "ROLE", "STATE", "AVAILABILITY", "ADDRESS"
    );
    for node in &info.nodes {
        let _ = writeln!(
            out,
            "  {:<24} {:<8} {:<8} {:<12} {:<16} {}",
            node.name, node.role, node.state, node.availability, node.address, node.container_state
        );
    }
    out
}

//! `muelle logs [SERVICE] [-f]`: container output, prefixed by service when
//! several are shown.

use std::io::Write;

use futures::StreamExt;
use futures::stream::{self, BoxStream};

use crate::cli::LogsArgs;
use crate::engine::containers;
use crate::error::{Error, Refusal, Result};
use crate::project::SERVICE_LABEL;

use super::Ctx;

/// Streams the logs of one service or of all.
pub async fn run(args: LogsArgs, ctx: &Ctx) -> Result<()> {
    let docker = ctx.docker().await?;
    let project = ctx.project()?;
    let compose = project.compose()?;
    let services = match &args.service {
        Some(service) => project.targets(&compose, std::slice::from_ref(service))?,
        None => compose.services.keys().cloned().collect(),
    };
    let existing = containers::list(&docker, &project.filter()).await?;
    let mut streams: Vec<BoxStream<'static, (String, Result<String>)>> = Vec::new();
    let width = services.iter().map(String::len).max().unwrap_or(0);
    for c in existing {
        let Some(service) = c
            .labels
            .get(SERVICE_LABEL)
            .filter(|s| services.contains(s))
            .cloned()
        else {
            continue;
        };
        let prefix = if services.len() > 1 {
            format!("{service:<width$} | ")
        } else {
            String::new()
        };
        let s = containers::logs(&docker, &c.name, args.follow, args.tail)
            .map(move |chunk| (prefix.clone(), chunk.map(|c| c.to_string())));
        streams.push(s.map(|(p, c)| (p, c.map_err(Error::from))).boxed());
    }
    if streams.is_empty() {
        return Err(Refusal::NoContainers {
            service: args.service,
            project: project.name,
        }
        .into());
    }
    let mut all = stream::select_all(streams);
    let mut out = std::io::stdout().lock();
    while let Some((prefix, chunk)) = all.next().await {
        for line in chunk?.lines() {
            let _ = writeln!(out, "{prefix}{line}");
        }
        let _ = out.flush();
    }
    Ok(())
}

//! `muelle releases [SERVICE]`: the release log as a table, each release
//! checked against its registry: the tag still names the logged digest
//! (`present`), names another image (`moved to …`), or is gone (`missing`).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use crate::cli::ReleasesArgs;
use crate::error::Result;
use crate::registry::Registry;
use crate::release::log::{self as release_log, Status, short_digest};
use crate::release::publish::Destination;

use super::Ctx;

/// Prints the log, oldest first.
pub async fn run(args: ReleasesArgs, ctx: &Ctx) -> Result<()> {
    let project = ctx.project()?;
    if let Some(service) = &args.service {
        super::build::selected(&project, std::slice::from_ref(service))?;
    }
    let path = release_log::path(&project.root);
    let entries: Vec<_> = release_log::read(&path)?
        .into_iter()
        .filter(|e| args.service.as_ref().is_none_or(|s| *s == e.service))
        .collect();
    if entries.is_empty() {
        ctx.progress.say(&format!(
            "no releases in {} yet: `muelle push --env prod` adds them",
            release_log::RELATIVE_PATH
        ));
        return Ok(());
    }
    let mut registries: BTreeMap<(String, String), Registry> = BTreeMap::new();
    let mut rows = vec![
        [
            "SERVICE",
            "TAG",
            "COMMIT",
            "TIME",
            "DIGEST",
            "REGISTRY",
            "PUSHED BY",
            "MESSAGE",
        ]
        .map(String::from),
    ];
    for entry in &entries {
        let status = if args.no_check {
            "unchecked".to_owned()
        } else {
            let key = (entry.environment.clone(), entry.registry.clone());
            let registry = match registries.entry(key) {
                Entry::Occupied(found) => found.into_mut(),
                Entry::Vacant(slot) => {
                    let destination = Destination {
                        environment: entry.environment.clone(),
                        registry: entry.registry.clone(),
                        prefix: String::new(),
                    };
                    slot.insert(super::push::connect_registry(&destination)?.0)
                }
            };
            let found = registry.digest(&entry.repository, &entry.tag).await?;
            Status::of(&entry.digest, found.as_deref()).to_string()
        };
        rows.push([
            entry.service.clone(),
            entry.tag.clone(),
            entry.commit.chars().take(7).collect(),
            entry.time.clone(),
            short_digest(&entry.digest).to_owned(),
            status,
            entry.pushed_by.clone(),
            entry.message.clone(),
        ]);
    }
    let mut widths = [0usize; 8];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        println!("{}", line.trim_end());
    }
    Ok(())
}

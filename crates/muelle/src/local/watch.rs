//! `muelle up --watch`: polls the watched paths of each service and, when
//! some change and then stay still briefly, rebuilds and restarts only the
//! services they belong to. Polling needs no inotify limits and works the
//! same on every file system; a few hundred files cost microseconds.
//!
//! The watch profile is built once when watching starts, so the first save
//! compiles only what it changed, and each service then runs its binary
//! from the host, mounted over the image's: a rebuild is a restart, with no
//! image to package (as nodemon restarts a mounted app in the thesis).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use bollard::Docker;

use crate::error::Result;
use crate::image::host_build::cargo_build;
use crate::project::Project;
use crate::ui::progress::Progress;

/// Time between two looks at the sources (a look at a few hundred files
/// costs well under a millisecond).
const POLL: Duration = Duration::from_millis(100);
/// Changes must stop for this long before a rebuild, so a save of several
/// files (or an editor's temp-file dance) rebuilds once.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// A cheap fingerprint of a tree: newest modification time and file count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    newest: Option<SystemTime>,
    files: usize,
}

/// Fingerprints the files under `paths`, skipping `target` and hidden entries.
pub fn fingerprint(paths: &[PathBuf]) -> Fingerprint {
    let mut fp = Fingerprint {
        newest: None,
        files: 0,
    };
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            let Ok(entries) = std::fs::read_dir(&path) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if !(name.starts_with('.') || name == "target") {
                    stack.push(entry.path());
                }
            }
        } else {
            fp.files += 1;
            if let Ok(modified) = meta.modified() {
                fp.newest = fp.newest.max(Some(modified));
            }
        }
    }
    fp
}

fn watched(project: &Project, targets: &[String]) -> BTreeMap<String, Vec<PathBuf>> {
    targets
        .iter()
        .filter_map(|s| {
            let service = project.manifest.services.get(s)?;
            let mut paths: Vec<PathBuf> =
                service.watch.iter().map(|p| project.root.join(p)).collect();
            if paths.is_empty() {
                paths.push(
                    project
                        .root
                        .join(Path::new("crates").join(&service.package)),
                );
            }
            Some((s.clone(), paths))
        })
        .collect()
}

/// Watches until interrupted (Ctrl-C); build errors are shown, not fatal.
pub async fn run(
    docker: &Docker,
    project: &mut Project,
    targets: &[String],
    progress: &Progress,
) -> Result<()> {
    let watched = watched(project, targets);
    if watched.is_empty() {
        progress.say("nothing to watch: none of the targets is built by muelle");
        return Ok(());
    }
    use_watch_profile(project);
    let services: Vec<String> = watched.keys().cloned().collect();
    let task = progress.task(format!(
        "warming the {} build of {}",
        project.manifest.build.profile,
        services.join(", ")
    ));
    run_builds(docker, project, &services, progress).await?;
    task.done("running from the host");
    let mut seen: BTreeMap<String, Fingerprint> = watched
        .iter()
        .map(|(s, p)| (s.clone(), fingerprint(p)))
        .collect();
    progress.say(&format!(
        "watching {} for changes (Ctrl-C to stop; the services keep running)",
        watched.keys().cloned().collect::<Vec<_>>().join(", ")
    ));
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            _ = &mut interrupted => return Ok(()),
            () = tokio::time::sleep(POLL) => {}
        }
        let changed: Vec<String> = watched
            .iter()
            .filter(|(s, p)| fingerprint(p) != seen[*s])
            .map(|(s, _)| s.clone())
            .collect();
        if changed.is_empty() {
            continue;
        }
        let started = Instant::now();
        settle(&watched, &changed).await;
        for service in &changed {
            seen.insert(service.clone(), fingerprint(&watched[service]));
        }
        progress.say(&format!("change in {}: rebuilding", changed.join(", ")));
        match run_builds(docker, project, &changed, progress).await {
            Ok(_) => progress.say(&format!(
                "{} reloaded in {:.1}s",
                changed.join(", "),
                started.elapsed().as_secs_f32()
            )),
            Err(e) => progress.say(&format!("muelle: {e}; still watching")),
        }
    }
}

/// Switches host builds to the manifest's `watch_profile`, if it names one,
/// stripped of debug info (ten times the code in an unoptimised binary).
pub fn use_watch_profile(project: &mut Project) {
    if let Some(profile) = project.manifest.build.watch_profile.clone() {
        project.manifest.build.profile = profile;
        project.strip_debuginfo = true;
    }
}

/// Builds `services` on the host and runs the new binaries: the first time
/// (or when a binary's path moved) their containers are made again with
/// the binary mounted, later a restart is enough.
async fn run_builds(
    docker: &Docker,
    project: &mut Project,
    services: &[String],
    progress: &Progress,
) -> Result<()> {
    let binaries = cargo_build(project, services, progress).await?;
    let moved = binaries
        .iter()
        .any(|(service, path)| project.watch_binaries.get(service) != Some(path));
    project.watch_binaries.extend(binaries);
    if moved {
        crate::local::up(docker, project, services, progress).await?;
        Ok(())
    } else {
        crate::local::restart(docker, project, services, progress).await
    }
}

/// Waits until the changed services' sources stop changing.
async fn settle(watched: &BTreeMap<String, Vec<PathBuf>>, changed: &[String]) {
    let paths: Vec<PathBuf> = changed.iter().flat_map(|s| watched[s].clone()).collect();
    let mut last = fingerprint(&paths);
    loop {
        tokio::time::sleep(DEBOUNCE).await;
        let now = fingerprint(&paths);
        if now == last {
            return;
        }
        last = now;
    }
}

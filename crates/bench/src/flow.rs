//! `bench --flow`: the developer loop on the local environment, as a
//! developer lives it. With the project's own compose file under a project
//! name of its own (`muelle-bench-flow`, on free ports), it times a warm
//! `muelle up` with nothing changed, then starts `muelle up --watch vote`
//! and times each save of vote's source (a change to its page) until vote
//! serves the new page: the first save after watching started, and the
//! saves after it. The source is restored and the environment removed at
//! the end, also when a phase failed. The figures replace the Developer
//! loop section of BENCHMARKS.md.

mod edit;
mod env;
mod section;

use std::time::Duration;

use tokio::time::Instant;

use crate::machine::Machine;
use crate::{Error, Options};
use edit::PageEdit;
use env::{Env, Watching};

/// What one run of the loop measured, in seconds.
#[derive(Debug, Clone)]
pub struct FlowRun {
    /// `muelle up` again with everything up and nothing changed.
    pub warm_up: f64,
    /// `muelle up --watch vote` until it watches (its build warmed, vote
    /// running the host's binary).
    pub watch_start: f64,
    /// From saving to the new page served, the first save after watching
    /// started.
    pub first_save: f64,
    /// The same for each save after it.
    pub saves: Vec<f64>,
}

/// Everything a flow benchmark measured.
pub struct FlowResults {
    /// Where and on what it ran.
    pub machine: Machine,
    /// Each run.
    pub runs: Vec<FlowRun>,
    /// How long the whole benchmark took.
    pub elapsed: Duration,
}

/// Saves timed after the first one, in each run.
const SAVES: usize = 3;

/// How long a save may take to be served before the run fails.
const SERVED: Duration = Duration::from_secs(300);

/// Runs the flow benchmark and rewrites the Developer loop section of
/// BENCHMARKS.md in `options.out`.
pub async fn run(options: &Options) -> Result<FlowResults, Error> {
    let started = Instant::now();
    if options.build {
        testkit::build_binaries(&options.bins, &["muelle"]).map_err(Error::Build)?;
    }
    let machine = Machine::describe();
    let env = Env::new(&options.bins.join("muelle"))?;
    let page = PageEdit::new(&env.repo)?;
    let measured = measure(&env, &page, options.runs).await;
    let restored = page.restore();
    let removed = env.remove().await;
    let runs = measured?;
    restored?;
    removed?;
    let results = FlowResults {
        machine,
        runs,
        elapsed: started.elapsed(),
    };
    crate::kept::FLOW.write(&options.out, &section::render(&results, &options.command))?;
    Ok(results)
}

async fn measure(env: &Env, page: &PageEdit, runs: usize) -> Result<Vec<FlowRun>, Error> {
    eprintln!("muelle up (the environment for the loop)");
    env.muelle(&["up"]).await?;
    // Every warm `up` before any save: a save makes the next plain `up`
    // rebuild, which is not what this figure is about.
    let mut warm_ups = Vec::new();
    for _ in 0..runs {
        let begun = Instant::now();
        env.muelle(&["up"]).await?;
        warm_ups.push(begun.elapsed().as_secs_f64());
    }
    let mut measured = Vec::new();
    let mut marker = 0;
    for (n, warm_up) in warm_ups.into_iter().enumerate() {
        eprintln!("run {} of {runs}", n + 1);
        let begun = Instant::now();
        let watching = env.watch("vote").await?;
        let watch_start = begun.elapsed().as_secs_f64();
        marker += 1;
        let first_save = save(env, &watching, page, marker).await;
        let mut saves = Vec::new();
        for _ in 0..SAVES {
            if first_save.is_err() {
                break;
            }
            marker += 1;
            saves.push(save(env, &watching, page, marker).await);
        }
        watching.stop().await?;
        let first_save = first_save?;
        let saves = saves.into_iter().collect::<Result<Vec<f64>, Error>>()?;
        eprintln!(
            "  warm up {warm_up:.2} s, watching after {watch_start:.1} s, first save {first_save:.2} s, then {}",
            saves
                .iter()
                .map(|s| format!("{s:.2} s"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        measured.push(FlowRun {
            warm_up,
            watch_start,
            first_save,
            saves,
        });
    }
    Ok(measured)
}

/// Saves the page with `marker` and waits until vote serves it; returns
/// the seconds that took, once the watcher is idle again.
async fn save(
    env: &Env,
    watching: &Watching,
    page: &PageEdit,
    marker: usize,
) -> Result<f64, Error> {
    let reloads = watching.reloads();
    let text = page.save(marker)?;
    let saved = Instant::now();
    env.served(&text, SERVED).await?;
    let took = saved.elapsed().as_secs_f64();
    watching.wait_reloaded(reloads, SERVED).await?;
    Ok(took)
}

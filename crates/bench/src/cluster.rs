//! `bench --cluster`: the app as a Swarm stack on a lab, measured. It starts
//! lab `muelle-bench` (or uses it when it is up), pushes the app to it and
//! deploys it with muelle, then for each run measures vote's throughput
//! through the ingress and served directly, and a rolling update and a
//! rollback of vote under load. The figures replace the Cluster section of
//! BENCHMARKS.md; a lab this run started is removed at the end, even when a
//! phase failed.

mod lab;
mod rollout;
mod section;
mod throughput;

use std::path::Path;
use std::time::Duration;

use tokio::time::Instant;

use crate::machine::Machine;
use crate::{Error, Options};
use lab::Lab;
use rollout::RolloutRun;
use throughput::JobRun;

/// What one cluster run measured.
pub struct ClusterRun {
    /// vote served directly, from inside the swarm.
    pub direct: JobRun,
    /// vote through the HTTPS ingress, from inside the swarm.
    pub ingress: JobRun,
    /// The update of vote and the rollback after it.
    pub rollout: RolloutRun,
}

/// Everything a cluster benchmark measured.
pub struct ClusterResults {
    /// Where and on what it ran.
    pub machine: Machine,
    /// How many nodes the lab has.
    pub nodes: usize,
    /// Each run.
    pub runs: Vec<ClusterRun>,
    /// How long the whole benchmark took.
    pub elapsed: Duration,
}

/// Runs the cluster benchmark and rewrites the Cluster section of
/// BENCHMARKS.md in `options.out`.
pub async fn run(options: &Options) -> Result<ClusterResults, Error> {
    let started = Instant::now();
    if options.build {
        testkit::build_binaries(&options.bins, &["muelle", "loadgen"]).map_err(Error::Build)?;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let lab = Lab::up(&options.bins.join("muelle"), &repo).await?;
    let nodes = lab.nodes();
    let measured = measure(&lab, options).await;
    let removed = lab.down().await;
    let runs = measured?;
    removed?;
    let results = ClusterResults {
        machine: Machine::describe(),
        nodes,
        runs,
        elapsed: started.elapsed(),
    };
    crate::kept::CLUSTER.write(&options.out, &section::render(&results, &options.command))?;
    Ok(results)
}

async fn measure(lab: &Lab, options: &Options) -> Result<Vec<ClusterRun>, Error> {
    eprintln!("pushing and deploying the app to the lab");
    lab.run(&["push", "--env", "lab"], &[]).await?;
    // One vote replica while throughput is measured: both loads reach it.
    lab.run(&["deploy", "--env", "lab"], &[("VOTE_REPLICAS", "1")])
        .await?;
    let serving = serving_vote(lab).await?;
    let loadgen = throughput::image(lab, &serving, &options.bins.join("loadgen")).await?;
    let sizes = &options.sizes;
    let mut throughputs = Vec::new();
    for n in 1..=options.runs {
        eprintln!("run {n} of {}: throughput", options.runs);
        let (direct, ingress) =
            throughput::run(lab, &loadgen, sizes.vote_warmup, sizes.vote_duration).await?;
        eprintln!(
            "  direct {:.0}/s, ingress {:.0}/s",
            direct.throughput, ingress.throughput
        );
        throughputs.push((direct, ingress));
    }
    lab.run(&["deploy", "--env", "lab"], &[]).await?;
    let mut runs = Vec::new();
    for (n, (direct, ingress)) in throughputs.into_iter().enumerate() {
        eprintln!("run {} of {}: update and rollback", n + 1, options.runs);
        let rollout = rollout::run(lab, &serving, n + 1).await?;
        eprintln!(
            "  update {:.1} s ({:.1} s to return), rollback {:.1} s ({:.1} s to return), failed requests {} and {}",
            rollout.update.replicas_secs,
            rollout.update.command_secs,
            rollout.rollback.replicas_secs,
            rollout.rollback.command_secs,
            rollout.update.failures.show(),
            rollout.rollback.failures.show(),
        );
        runs.push(ClusterRun {
            direct,
            ingress,
            rollout,
        });
    }
    Ok(runs)
}

/// vote's image as it runs now, `<registry>/vote@sha256:…`.
async fn serving_vote(lab: &Lab) -> Result<String, Error> {
    let image = lab
        .docker(&[
            "service",
            "inspect",
            "voting_vote",
            "--format",
            "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
        ])
        .await?;
    Ok(image.trim().to_owned())
}

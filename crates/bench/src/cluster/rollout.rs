//! A rolling update of vote and the rollback after it, each under a steady
//! load through the HTTPS ingress from the host. Each is timed twice from
//! the moment the command starts: until every running replica is on the
//! digest asked for (read from Swarm every 250 ms), and until muelle
//! returned (which also waits out Swarm's monitor window and checks every
//! task). Every failed request of the load is counted.

use std::time::Duration;

use loadgen::{Dial, Limit, Pace};
use tokio::time::Instant;

use super::lab::Lab;
use crate::Error;
use crate::command::host_docker;
use crate::failures::Failures;

/// Votes per second during the rollouts.
pub const RATE: f64 = 200.0;

/// One rollout, timed.
#[derive(Debug, Clone)]
pub struct Timed {
    /// Until every running replica ran the digest asked for.
    pub replicas_secs: f64,
    /// Until muelle returned.
    pub command_secs: f64,
    /// Requests of the load that failed meanwhile.
    pub failures: Failures,
}

/// An update to a new digest and the rollback to the one before.
#[derive(Debug, Clone)]
pub struct RolloutRun {
    /// `muelle update vote --tag <new>`.
    pub update: Timed,
    /// `muelle rollback vote`.
    pub rollback: Timed,
}

/// Pushes vote's image again under a label of this run (another digest),
/// updates vote to it, then rolls back.
pub async fn run(lab: &Lab, serving: &str, n: usize) -> Result<RolloutRun, Error> {
    let tag = format!("bench-{}-{n}", std::process::id());
    let image = format!("{}/vote:{tag}", lab.field("/registry")?);
    let dockerfile = format!("FROM {serving}\nLABEL muelle.bench.run=\"{tag}\"\n");
    host_docker(&["build", "-q", "-t", &image, "-"], Some(&dockerfile)).await?;
    host_docker(&["push", "-q", &image], None).await?;
    let _ = host_docker(&["rmi", &image], None).await;
    let new_digest = lab.digest("vote", &tag).await?;
    let update = timed(
        lab,
        &["update", "vote", "--env", "lab", "--tag", &tag],
        &new_digest,
    )
    .await?;
    let old_digest = serving.rsplit_once('@').map_or(serving, |(_, d)| d);
    let rollback = timed(lab, &["rollback", "vote", "--env", "lab"], old_digest).await?;
    Ok(RolloutRun { update, rollback })
}

/// Runs muelle `args` under load; `digest` is what every replica must run
/// at the end.
async fn timed(lab: &Lab, args: &[&str], digest: &str) -> Result<Timed, Error> {
    let load = ingress_load(lab)?.start().await?;
    let lead = Instant::now();
    while load.progress().acknowledged < (RATE / 2.0) as u64 {
        if lead.elapsed() > Duration::from_secs(30) {
            return Err(Error::Stalled("no vote acknowledged through the ingress"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let started = Instant::now();
    let command = lab.run(args, &[]);
    tokio::pin!(command);
    let mut on_digest: Option<Duration> = None;
    let mut returned: Option<Result<String, Error>> = None;
    while returned.is_none() {
        tokio::select! {
            done = &mut command => returned = Some(done),
            () = tokio::time::sleep(Duration::from_millis(250)) => {
                if on_digest.is_none() && every_replica_on(lab, digest).await? {
                    on_digest = Some(started.elapsed());
                }
            }
        }
    }
    let command_secs = started.elapsed().as_secs_f64();
    returned.unwrap_or_else(|| Err(Error::Stalled("muelle did not return")))?;
    // muelle checked every task before it returned, so a last change
    // between two polls was done by then.
    let replicas_secs = on_digest.map_or(command_secs, |at| at.as_secs_f64());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let report = load.finish().await;
    Ok(Timed {
        replicas_secs,
        command_secs,
        failures: Failures::of_load(&report),
    })
}

/// Whether every running task of vote runs `digest`.
async fn every_replica_on(lab: &Lab, digest: &str) -> Result<bool, Error> {
    let tasks = lab
        .docker(&[
            "service",
            "ps",
            "voting_vote",
            "--no-trunc",
            "--filter",
            "desired-state=running",
            "--format",
            "{{.CurrentState}}|{{.Image}}",
        ])
        .await?;
    let running: Vec<&str> = tasks.lines().filter(|l| l.starts_with("Running")).collect();
    Ok(!running.is_empty() && running.iter().all(|t| t.ends_with(digest)))
}

/// loadgen through the ingress from the host, at [`RATE`], until finished.
fn ingress_load(lab: &Lab) -> Result<loadgen::VoteLoad, Error> {
    let https = lab.field("/ingress/https")?;
    let addr = https.trim_start_matches("https://");
    let port = addr.rsplit_once(':').map_or("443", |(_, p)| p);
    let domain = lab.field("/domain")?;
    let rule = format!("{domain}:{port}:{addr}");
    let dial = Dial::default()
        .ca(lab.field("/pebble/root_file")?)
        .connect_to(rule.parse()?);
    Ok(loadgen::VoteLoad::new(format!("https://{domain}:{port}/"))
        .dial(dial)
        .connections(4)
        .pace(Pace::Rate(RATE))
        .limit(Limit::Unbounded))
}

//! A worker node that runs a vote replica stops while loadgen votes through
//! the ingress: Swarm marks it down and places its tasks on the nodes left,
//! votes keep being acknowledged, none of them is lost, and `muelle status`
//! shows the node down and where vote runs now. The node is started again
//! afterwards (also when the scenario fails) and rejoins.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::Lab;

use crate::app::{self, host_docker};

/// How long Swarm may take to notice a node is gone and move its tasks.
const RESCHEDULE: Duration = Duration::from_secs(120);

pub fn a_stopped_worker_loses_no_vote(lab: &Lab) {
    let manager = format!("{}-node-1", lab.name);
    let on_nodes = lab.docker_ok(&[
        "service",
        "ps",
        &app::full("vote"),
        "--filter",
        "desired-state=running",
        "--format",
        "{{.Node}}",
    ]);
    let victim = on_nodes
        .lines()
        .find(|node| *node != manager)
        .unwrap_or_else(|| panic!("no vote replica on a worker: {on_nodes}"))
        .to_owned();
    let _restart = Restart(victim.clone(), lab);

    let voting = app::Voting::start(lab, 50.0);
    voting.wait_for(100);
    host_docker(&["stop", "-t", "10", &victim], None);
    let stopped_at = voting.acknowledged();

    let status = app::wait_for(
        &format!("{victim} down and vote running elsewhere"),
        RESCHEDULE,
        || {
            let status = app::status(lab);
            let hostnames = hostnames(&status);
            let down = status["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|n| n["hostname"] == victim.as_str() && n["state"] == "down");
            let elsewhere = status["tasks"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| t["service"] == app::full("vote").as_str())
                .filter(|t| t["desired_state"] == "running" && t["state"] == "running")
                .filter(|t| {
                    t["node_id"]
                        .as_str()
                        .and_then(|id| hostnames.get(id))
                        .is_some_and(|h| *h != victim)
                })
                .count();
            if down && elsewhere == 2 {
                Ok(status)
            } else {
                Err(format!("down: {down}, vote tasks elsewhere: {elsewhere}"))
            }
        },
    );
    let text = app::muelle_ok(lab, &["status", "--env", "lab"]);
    let victim_line = text
        .lines()
        .find(|l| l.contains(&victim))
        .unwrap_or_else(|| panic!("status does not list {victim}:\n{text}"));
    assert!(victim_line.contains("down"), "{victim_line}\n{text}");
    eprintln!(
        "{}",
        serde_json::to_string(&status["warnings"]).unwrap_or_default()
    );

    voting.wait_for(stopped_at + 200);
    let report = voting.finish();
    app::assert_all_stored(lab, &report.acknowledged_voters);
}

/// Node ids to hostnames, from a status report.
fn hostnames(status: &Value) -> BTreeMap<String, String> {
    status["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| {
            Some((
                n["id"].as_str()?.to_owned(),
                n["hostname"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// Starts the stopped node again and waits until the swarm sees it ready.
struct Restart<'a>(String, &'a Lab);

impl Drop for Restart<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["start", &self.0])
            .output();
        let started = Instant::now();
        while started.elapsed() < RESCHEDULE {
            let ready = self
                .1
                .docker(&["node", "inspect", &self.0, "--format", "{{.Status.State}}"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "ready");
            if ready {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        eprintln!("{} did not rejoin the swarm", self.0);
    }
}

//! `muelle status --env ENV`: the environment's cluster as the thesis'
//! visualizer showed it (nodes, their tasks, services, what is not
//! converged) and the alerts its Alertmanager has firing, once, as JSON,
//! or redrawn whenever it changes.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use bollard::Docker;
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::deploy::target;
use crate::error::{Error, Result};
use crate::swarm::alerts::{self, Alerts};
use crate::swarm::inventory::{self, Inventory, Warning};
use crate::ui::{alerts as alerts_text, cluster, palette::Palette};

use super::Ctx;

/// How often `--watch` reads the cluster again.
const POLL: Duration = Duration::from_secs(1);

/// Clears a terminal and moves the cursor home, for a redraw.
const CLEAR_SCREEN: &str = "\x1b[2J\x1b[H";

/// What `--json` prints: the inventory with its warnings, and the alerts.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Nodes, services and tasks.
    #[serde(flatten)]
    pub inventory: &'a Inventory,
    /// Everything not converged.
    pub warnings: Vec<Warning>,
    /// The alerts firing now, by the swarm's Alertmanager.
    pub alerts: &'a Alerts,
}

/// Shows the cluster once, or until Ctrl-C with `--watch`.
pub async fn run(args: StatusArgs, ctx: &Ctx) -> Result<()> {
    let namespace = if args.all {
        None
    } else {
        Some(stack_name(ctx)?)
    };
    let docker = connect_env(ctx, &args.environment).await?;
    let palette = Palette::for_stdout();
    if !args.watch {
        let (inventory, alerts) = tokio::join!(
            inventory::read(&docker, namespace.as_deref()),
            alerts::read(&docker)
        );
        let text = if args.json {
            json(&inventory?, &alerts, true)?
        } else {
            text(&inventory?, &alerts, palette)
        };
        return print(&text);
    }
    tokio::select! {
        result = watch(&docker, namespace.as_deref(), args.json, palette) => result,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

/// Connects to the manager of environment `env` (`lab`, or one of the
/// manifest's; `DOCKER_HOST` overrides its endpoint).
async fn connect_env(ctx: &Ctx, env: &str) -> Result<Docker> {
    let target = target::resolve(&ctx.project()?, env).await?;
    target::connect(&target).await
}

/// The stack whose services are shown, named as `muelle deploy` names it.
fn stack_name(ctx: &Ctx) -> Result<String> {
    Ok(target::namespace(
        &ctx.project()?,
        ctx.selection.project_name.as_deref(),
    ))
}

/// Polls the cluster and prints it again whenever what is printed changed:
/// on a terminal the screen is redrawn, elsewhere a new block (a JSON line
/// with `--json`) follows. A failed read is shown the same way and retried.
async fn watch(
    docker: &Docker,
    namespace: Option<&str>,
    json: bool,
    palette: Palette,
) -> Result<()> {
    let redraw = std::io::stdout().is_terminal() && !json;
    let mut shown: Option<String> = None;
    let mut ticks = tokio::time::interval(POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let (inventory, alerts) =
            tokio::join!(inventory::read(docker, namespace), alerts::read(docker));
        let text = match inventory {
            Ok(inventory) if json => self::json(&inventory, &alerts, false)?,
            Ok(inventory) => self::text(&inventory, &alerts, palette),
            Err(e) => format!("muelle: {e} (trying again every {}s)\n", POLL.as_secs()),
        };
        if shown.as_ref() == Some(&text) {
            continue;
        }
        let frame = match (&shown, redraw) {
            (_, true) => format!("{CLEAR_SCREEN}{text}"),
            (Some(_), false) if !json => format!("\n{text}"),
            _ => text.clone(),
        };
        print(&frame)?;
        shown = Some(text);
    }
}

/// The cluster, then the alerts.
fn text(inventory: &Inventory, alerts: &Alerts, palette: Palette) -> String {
    format!(
        "{}\n{}",
        cluster::render(inventory, palette),
        alerts_text::render(alerts, palette)
    )
}

/// The report as JSON text ending in a newline, indented or on one line.
fn json(inventory: &Inventory, alerts: &Alerts, pretty: bool) -> Result<String> {
    let report = Report {
        inventory,
        warnings: inventory.warnings(),
        alerts,
    };
    let text = if pretty {
        serde_json::to_string_pretty(&report)
    } else {
        serde_json::to_string(&report)
    };
    text.map(|t| t + "\n")
        .map_err(|e| Error::io("write the status as JSON")(std::io::Error::other(e)))
}

fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Error::io("write the status"))
}

#[cfg(test)]
mod tests {
    use bollard::models::NodeState;
    use serde_json::json;

    use super::json;
    use crate::swarm::alerts::Alerts;
    use crate::swarm::inventory::fixtures::converged;

    #[test]
    fn json_is_the_inventory_with_its_warnings() {
        let mut inventory = converged();
        inventory.nodes[1].state = NodeState::DOWN;
        let text = json(&inventory, &Alerts::NoAlertmanager, true).expect("json");
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let mut keys: Vec<&String> = value.as_object().expect("an object").keys().collect();
        keys.sort();
        assert_eq!(keys, ["alerts", "nodes", "services", "tasks", "warnings"]);
        assert_eq!(value["alerts"], json!({"state": "no_alertmanager"}));
        let node = &value["nodes"][1];
        assert_eq!(
            (
                &node["hostname"],
                &node["role"],
                &node["state"],
                &node["availability"]
            ),
            (
                &json!("node-2"),
                &json!("worker"),
                &json!("down"),
                &json!("active")
            )
        );
        assert_eq!(node["labels"], json!({}));
        let vote = &value["services"][1];
        assert_eq!(
            (
                &vote["name"],
                &vote["short_name"],
                &vote["mode"],
                &vote["version"]
            ),
            (
                &json!("voting_vote"),
                &json!("vote"),
                &json!("replicated"),
                &json!("sha-abc1234")
            )
        );
        assert_eq!(
            vote["ports"][0],
            json!({"published": 8080, "target": 80, "protocol": "tcp", "mode": "host"})
        );
        let task = &value["tasks"][0];
        assert_eq!(
            (
                &task["service"],
                &task["slot"],
                &task["state"],
                &task["desired_state"],
                &task["health"]
            ),
            (
                &json!("voting_db"),
                &json!(1),
                &json!("running"),
                &json!("running"),
                &json!("healthy")
            )
        );
        assert_eq!(
            value["warnings"][0],
            json!({"kind": "node_down", "subject": "node-2", "message": "node node-2 is down"})
        );
        assert_eq!(value["warnings"][1]["kind"], json!("task_on_down_node"));
        assert_eq!(value["warnings"].as_array().map(Vec::len), Some(2));

        let line = json(&inventory, &Alerts::NoAlertmanager, false).expect("json");
        assert_eq!(
            line.lines().count(),
            1,
            "--watch --json prints one line per change"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&line).expect("valid"),
            value
        );
    }
}

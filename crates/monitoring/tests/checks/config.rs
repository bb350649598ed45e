//! The stack file and the configurations it carries: what promtool,
//! amtool and `docker stack config` say of them.

use std::collections::BTreeMap;
use std::process::Output;

use tokio::process::Command;

/// A webhook for the renders here; nothing is sent to it.
const WEBHOOK: &str = "http://127.0.0.1:9/alerts";

/// Images that Debian does not ship, so that no stand-in exists for them.
const NOT_IN_DEBIAN: [&str; 2] = ["GRAFANA_IMAGE", "CADVISOR_IMAGE"];

#[tokio::test]
async fn the_prometheus_config_passes_promtool_check_config() {
    let said = testkit::promtool(&monitoring::dir(), &["check", "config", "prometheus.yml"]).await;
    assert!(said.contains("is valid prometheus config file"), "{said}");
}

#[tokio::test]
async fn the_alertmanager_config_as_the_stack_renders_it_passes_amtool() {
    let stack = stack_config(Some(WEBHOOK)).await;
    assert!(
        stack.status.success(),
        "{}",
        String::from_utf8_lossy(&stack.stderr)
    );
    let stack: serde_yaml_ng::Value = serde_yaml_ng::from_slice(&stack.stdout).unwrap();
    let environment = &stack["services"]["alertmanager"]["environment"];
    let env: BTreeMap<&str, &str> = environment
        .as_mapping()
        .expect("alertmanager has an environment")
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?, v.as_str()?)))
        .collect();
    assert_eq!(env.get("ALERT_WEBHOOK_URL"), Some(&WEBHOOK));
    let template = std::fs::read_to_string(monitoring::dir().join("alertmanager.yml")).unwrap();
    let rendered = monitoring::render_env_template(&template, &env).unwrap();
    assert!(rendered.contains(WEBHOOK), "{rendered}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alertmanager.yml");
    std::fs::write(&path, rendered).unwrap();
    let output = Command::new("amtool")
        .arg("check-config")
        .arg(&path)
        .output()
        .await
        .expect("running amtool (apt-get install prometheus-alertmanager)");
    assert!(
        output.status.success(),
        "amtool check-config failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn the_stack_refuses_to_deploy_without_a_webhook_and_says_which_variable() {
    let stack = stack_config(None).await;
    let stderr = String::from_utf8_lossy(&stack.stderr);
    assert!(!stack.status.success(), "deployed without a receiver");
    assert!(
        stderr.contains("set ALERT_WEBHOOK_URL to the webhook that receives the alerts"),
        "{stderr}"
    );
}

#[test]
fn every_image_is_a_variable_with_its_official_default_and_a_stand_in_where_debian_has_one() {
    let stack = read_yaml(&monitoring::dir().join("monitoring.yaml"));
    let manifest: toml::Table =
        std::fs::read_to_string(monitoring::dir().join("../../muelle.toml"))
            .unwrap()
            .parse()
            .unwrap();
    let stand_ins = manifest["bases"]["images"].as_table().unwrap();
    let services = stack["services"].as_mapping().unwrap();
    let mut problems = Vec::new();
    for (name, service) in services {
        let name = name.as_str().unwrap();
        let image = service["image"].as_str().unwrap_or_default();
        let Some((var, default)) = image
            .strip_prefix("${")
            .and_then(|i| i.strip_suffix('}'))
            .and_then(|i| i.split_once(":-"))
        else {
            problems.push(format!("{name}: image {image:?} is not ${{VAR:-official}}"));
            continue;
        };
        if default.is_empty() || !default.contains(':') {
            problems.push(format!(
                "{name}: {var} defaults to {default:?}, not a tagged image"
            ));
        }
        let recipe = stand_ins.get(var).and_then(|r| r.as_str());
        match (recipe, NOT_IN_DEBIAN.contains(&var)) {
            (Some(recipe), false) => {
                let path = monitoring::dir().join(format!("../docker/bases/{recipe}.Dockerfile"));
                if !path.is_file() {
                    problems.push(format!(
                        "{name}: {var}'s stand-in {} is missing",
                        path.display()
                    ));
                }
            }
            (None, true) => {}
            (Some(_), true) => problems.push(format!(
                "{name}: {var} has a stand-in but is listed as not in Debian"
            )),
            (None, false) => problems.push(format!(
                "{name}: {var} has no stand-in in muelle.toml [bases.images]"
            )),
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The variables `muelle deploy` sets for the stack file besides the
/// webhook: each secret's and config's content hash (any value does for
/// reading the file) and the app's password file.
const DEPLOY_VARIABLES: [(&str, &str); 8] = [
    ("DB_PASSWORD_HASH", "0123456789ab"),
    ("DB_PASSWORD_FILE", "/dev/null"),
    ("PROMETHEUS_HASH", "0123456789ab"),
    ("ALERTS_HASH", "0123456789ab"),
    ("ALERTMANAGER_HASH", "0123456789ab"),
    ("GRAFANA_DATASOURCE_HASH", "0123456789ab"),
    ("GRAFANA_DASHBOARDS_HASH", "0123456789ab"),
    ("GRAFANA_VOTING_HASH", "0123456789ab"),
];

/// `docker stack config` of the stack file, with the webhook variable set
/// or not: how `docker stack deploy` would read it.
async fn stack_config(webhook: Option<&str>) -> Output {
    let mut command = Command::new("docker");
    command
        .args(["stack", "config", "-c", "monitoring.yaml"])
        .current_dir(monitoring::dir())
        .envs(DEPLOY_VARIABLES)
        .env_remove("ALERT_WEBHOOK_URL");
    if let Some(url) = webhook {
        command.env("ALERT_WEBHOOK_URL", url);
    }
    command
        .output()
        .await
        .expect("running docker (apt-get install docker.io)")
}

fn read_yaml(path: &std::path::Path) -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

//! The subset of the compose file muelle reads to run services itself:
//! image, command, entrypoint, environment, ports, networks, volumes,
//! healthcheck, depends_on, restart, user, labels and stop_grace_period.
//!
//! Anything else is an error naming the key, rather than silently ignored,
//! except `build`, which is for plain `docker compose` on normal machines.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml_ng::Value;

pub use crate::project::duration::parse_duration;
use crate::project::interpolate::interpolate;

/// A compose file, after variable interpolation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposeFile {
    /// Obsolete in the compose specification; accepted and ignored.
    pub version: Option<String>,
    /// Services by name.
    pub services: BTreeMap<String, Service>,
    /// Networks by name (their definitions are not used beyond `external`).
    #[serde(default)]
    pub networks: BTreeMap<String, Option<Resource>>,
    /// Named volumes by name.
    #[serde(default)]
    pub volumes: BTreeMap<String, Option<Resource>>,
}

/// A top-level network or volume definition.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Created outside the project; muelle neither creates nor removes it.
    #[serde(default)]
    pub external: bool,
    /// The driver; only the default is supported locally.
    pub driver: Option<String>,
    /// Labels to put on the object.
    #[serde(default)]
    pub labels: Option<ListOrDict>,
}

/// One service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The image to run (and, for services muelle builds, the tag it builds).
    pub image: Option<String>,
    /// For `docker compose build` on normal machines; muelle builds from the manifest.
    pub build: Option<Value>,
    /// Overrides the image's CMD.
    pub command: Option<StringOrList>,
    /// Overrides the image's ENTRYPOINT.
    pub entrypoint: Option<StringOrList>,
    /// Environment variables.
    pub environment: Option<ListOrDict>,
    /// Published ports, `[ip:]host:container[/proto]` or `container`.
    #[serde(default)]
    pub ports: Vec<Scalar>,
    /// Networks to join; the project's `default` network when absent.
    pub networks: Option<Networks>,
    /// Mounts: `volume:/path[:ro]` or `./host/path:/path[:ro]`.
    #[serde(default)]
    pub volumes: Vec<String>,
    /// Overrides or sets the image's health check.
    pub healthcheck: Option<Healthcheck>,
    /// Services to start first, optionally waiting until they are healthy.
    pub depends_on: Option<DependsOn>,
    /// Restart policy: `no`, `always`, `on-failure`, `unless-stopped`.
    pub restart: Option<String>,
    /// User to run as.
    pub user: Option<String>,
    /// Extra container labels.
    pub labels: Option<ListOrDict>,
    /// Time between SIGTERM and SIGKILL on stop, e.g. `10s`.
    pub stop_grace_period: Option<String>,
}

/// A value that may be written as a string or a number (ports).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// `"5000:8080"`
    Text(String),
    /// `8080`
    Number(u64),
}

/// A command written as one string or as a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StringOrList {
    /// Split into shell words, as compose does: `sh -c "echo hi"` is three.
    String(String),
    /// Used as is.
    List(Vec<String>),
}

impl StringOrList {
    /// The words of the command, or why a string has none (a quote left open).
    pub fn words(&self) -> Result<Vec<String>, String> {
        match self {
            StringOrList::String(s) => shlex::split(s)
                .ok_or_else(|| format!("{s:?} has an unterminated quote or a trailing backslash")),
            StringOrList::List(list) => Ok(list.clone()),
        }
    }
}

/// `KEY=value` list or `KEY: value` map, for environment and labels.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ListOrDict {
    /// `- KEY=value`
    List(Vec<String>),
    /// `KEY: value`; a null value takes the variable from muelle's environment.
    Dict(BTreeMap<String, Option<Value>>),
}

impl ListOrDict {
    /// The pairs, with values rendered as strings; null values come from `lookup`.
    pub fn pairs(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Vec<(String, String)> {
        match self {
            ListOrDict::List(items) => items
                .iter()
                .filter_map(|item| match item.split_once('=') {
                    Some((k, v)) => Some((k.to_owned(), v.to_owned())),
                    None => lookup(item).map(|v| (item.clone(), v)),
                })
                .collect(),
            ListOrDict::Dict(map) => map
                .iter()
                .filter_map(|(k, v)| {
                    let value = match v {
                        None => lookup(k)?,
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Bool(b)) => b.to_string(),
                        Some(Value::Number(n)) => n.to_string(),
                        Some(Value::Null) => lookup(k)?,
                        Some(other) => serde_yaml_ng::to_string(other).ok()?.trim().to_owned(),
                    };
                    Some((k.clone(), value))
                })
                .collect(),
        }
    }
}

/// The networks of a service: a list of names, or a map with aliases.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Networks {
    /// `[frontend, backend]`
    List(Vec<String>),
    /// `frontend: { aliases: [...] }`
    Map(BTreeMap<String, Option<NetworkAttachment>>),
}

/// Options of a service on one network.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkAttachment {
    /// Extra DNS names of the service on this network.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// `depends_on` as a list or a map with conditions.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DependsOn {
    /// `[redis, db]`: started first.
    List(Vec<String>),
    /// `redis: { condition: service_healthy }`.
    Map(BTreeMap<String, Dependency>),
}

/// One entry of a `depends_on` map.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// `service_started`, `service_healthy` or `service_completed_successfully`.
    #[serde(default = "default_condition")]
    pub condition: String,
    /// Compose v2's restart-with-dependency flag; accepted, no effect here.
    pub restart: Option<bool>,
    /// Compose v2's optional dependency flag; accepted, no effect here.
    pub required: Option<bool>,
}

fn default_condition() -> String {
    "service_started".into()
}

/// A health check.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]`, `["NONE"]` or a shell string.
    pub test: Option<StringOrList>,
    /// Time between checks.
    pub interval: Option<String>,
    /// Time a check may take.
    pub timeout: Option<String>,
    /// Failures in a row before unhealthy.
    pub retries: Option<u32>,
    /// Grace time after start during which failures do not count.
    pub start_period: Option<String>,
    /// Turns the image's health check off.
    #[serde(default)]
    pub disable: bool,
}

impl Healthcheck {
    /// The test as the Engine API wants it.
    pub fn test_words(&self) -> Option<Vec<String>> {
        if self.disable {
            return Some(vec!["NONE".into()]);
        }
        self.test.as_ref().map(|test| match test {
            StringOrList::String(s) => vec!["CMD-SHELL".into(), s.clone()],
            StringOrList::List(list) => list.clone(),
        })
    }
}

/// Reads compose YAML, interpolating every string with `lookup` first.
pub fn parse(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<ComposeFile, String> {
    let mut value: Value = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
    value.apply_merge().map_err(|e| e.to_string())?;
    strip_extensions(&mut value);
    interpolate_all(&mut value, lookup)?;
    let file: ComposeFile = serde_yaml_ng::from_value(value).map_err(|e| e.to_string())?;
    check(&file)?;
    Ok(file)
}

/// Drops `x-*` extension fields at the top level and in services, as compose does.
fn strip_extensions(value: &mut Value) {
    let is_extension = |k: &Value| k.as_str().is_some_and(|k| k.starts_with("x-"));
    if let Value::Mapping(top) = value {
        top.retain(|k, _| !is_extension(k));
        if let Some(Value::Mapping(services)) = top.get_mut("services") {
            for (_, service) in services.iter_mut() {
                if let Value::Mapping(service) = service {
                    service.retain(|k, _| !is_extension(k));
                }
            }
        }
    }
}

fn interpolate_all(
    value: &mut Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    match value {
        Value::String(s) => *s = interpolate(s, lookup)?,
        Value::Sequence(items) => {
            for item in items {
                interpolate_all(item, lookup)?;
            }
        }
        Value::Mapping(map) => {
            for (_, item) in map.iter_mut() {
                interpolate_all(item, lookup)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn check(file: &ComposeFile) -> Result<(), String> {
    for (name, service) in &file.services {
        crate::project::manifest::check_name(&format!("services.{name}"), name)?;
        if service.image.is_none() {
            return Err(format!(
                "services.{name}.image: muelle needs an image name for every service"
            ));
        }
        for dep in service.dependencies() {
            if !file.services.contains_key(&dep.0) {
                return Err(format!(
                    "services.{name}.depends_on: no service `{}`",
                    dep.0
                ));
            }
        }
        for network in service.network_names() {
            if network != "default" && !file.networks.contains_key(&network) {
                return Err(format!(
                    "services.{name}.networks: `{network}` is not declared under networks"
                ));
            }
        }
        if let Some(restart) = &service.restart {
            if !["no", "always", "on-failure", "unless-stopped"].contains(&restart.as_str()) {
                return Err(format!(
                    "services.{name}.restart: {restart:?} is not a restart policy"
                ));
            }
        }
        for (key, words) in [
            ("command", &service.command),
            ("entrypoint", &service.entrypoint),
        ] {
            if let Some(words) = words {
                words
                    .words()
                    .map_err(|e| format!("services.{name}.{key}: {e}"))?;
            }
        }
        if let Some(period) = &service.stop_grace_period {
            parse_duration(period)
                .map_err(|e| format!("services.{name}.stop_grace_period: {e}"))?;
        }
        if let Some(hc) = &service.healthcheck {
            for (key, v) in [
                ("interval", &hc.interval),
                ("timeout", &hc.timeout),
                ("start_period", &hc.start_period),
            ] {
                if let Some(v) = v {
                    parse_duration(v)
                        .map_err(|e| format!("services.{name}.healthcheck.{key}: {e}"))?;
                }
            }
        }
    }
    for (kind, map) in [("networks", &file.networks), ("volumes", &file.volumes)] {
        for (name, def) in map {
            if let Some(driver) = def.as_ref().and_then(|d| d.driver.as_deref()) {
                if !["bridge", "local"].contains(&driver) {
                    return Err(format!(
                        "{kind}.{name}.driver: muelle runs locally with the default driver, not {driver:?}"
                    ));
                }
            }
        }
    }
    Ok(())
}

impl Service {
    /// The services this one depends on, each with whether it must be healthy first.
    pub fn dependencies(&self) -> Vec<(String, bool)> {
        match &self.depends_on {
            None => Vec::new(),
            Some(DependsOn::List(names)) => names.iter().map(|n| (n.clone(), false)).collect(),
            Some(DependsOn::Map(map)) => map
                .iter()
                .map(|(n, d)| (n.clone(), d.condition == "service_healthy"))
                .collect(),
        }
    }

    /// The networks this service joins (compose names, not Docker names).
    pub fn network_names(&self) -> Vec<String> {
        match &self.networks {
            None => vec!["default".into()],
            Some(Networks::List(names)) => names.clone(),
            Some(Networks::Map(map)) => map.keys().cloned().collect(),
        }
    }

    /// Extra aliases on one network.
    pub fn aliases(&self, network: &str) -> Vec<String> {
        match &self.networks {
            Some(Networks::Map(map)) => map
                .get(network)
                .and_then(|a| a.as_ref())
                .map(|a| a.aliases.clone())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;

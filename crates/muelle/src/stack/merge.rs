//! Merging an override stack file into the files before it, with the rules
//! of `docker stack deploy -c base -c override` (docker/cli's compose
//! loader):
//!
//! - a service of the override merges into the base's service of that name,
//!   key by key: mappings (`environment`, `labels`, `deploy`, `networks`,
//!   `healthcheck`, …) merge recursively, scalars are replaced;
//! - lists are appended (`extra_hosts`, `cap_add`, `placement.constraints`,
//!   …), leaving out entries already there — except `command`,
//!   `entrypoint` and `healthcheck.test`, which are replaced, and the lists
//!   whose entries have an identity, where an override entry replaces the
//!   base entry with the same identity and the others are appended:
//!   `secrets` and `configs` by `source`, `volumes` by `target`, `ports` by
//!   published port and protocol (an unpublished port by its target);
//! - a top-level network, volume, secret or config of the override replaces
//!   the base's entry of that name whole.
//!
//! Before merging, the keys that may be written as a list or as a mapping
//! are brought to one form: `environment`, `labels`, `deploy.labels` and
//! `sysctls` to mappings (an environment variable without a value takes
//! muelle's), `networks` to a mapping, `extra_hosts` to `host:ip` lines.

use serde_yaml_ng::{Mapping, Value};

use super::model::{FileReference, ListOrDict, Port, ServiceVolume};

/// Brings a parsed, interpolated stack file's list-or-mapping keys to one form.
pub fn normalize(value: &mut Value, lookup: &dyn Fn(&str) -> Option<String>) {
    let Some(Value::Mapping(services)) = value.get_mut("services") else {
        return;
    };
    let empty = |_: &str| Some(String::new());
    for (_, service) in services.iter_mut() {
        let Value::Mapping(service) = service else {
            continue;
        };
        to_mapping(service.get_mut("environment"), lookup);
        to_mapping(service.get_mut("labels"), &empty);
        to_mapping(service.get_mut("sysctls"), &empty);
        if let Some(deploy) = service.get_mut("deploy") {
            to_mapping(deploy.get_mut("labels"), &empty);
        }
        if let Some(networks @ Value::Sequence(_)) = service.get_mut("networks") {
            let names = networks.as_sequence().cloned().unwrap_or_default();
            *networks = Value::Mapping(names.into_iter().map(|n| (n, Value::Null)).collect());
        }
        if let Some(hosts) = service.get_mut("extra_hosts") {
            let lines: Vec<Value> = match &*hosts {
                Value::Mapping(map) => map
                    .iter()
                    .map(|(host, ip)| Value::String(format!("{}:{}", text(host), text(ip))))
                    .collect(),
                Value::Sequence(items) => items
                    .iter()
                    .map(|line| Value::String(text(line).replacen('=', ":", 1)))
                    .collect(),
                _ => continue,
            };
            *hosts = Value::Sequence(lines);
        }
    }
}

/// Merges `over` into `base`.
pub fn merge(base: &mut Value, over: Value) {
    let Value::Mapping(over) = over else {
        *base = over;
        return;
    };
    if !base.is_mapping() {
        *base = Value::Mapping(Mapping::new());
    }
    let Value::Mapping(base) = base else { return };
    for (key, value) in over {
        let slot = base.entry(key.clone()).or_insert(Value::Null);
        match (key.as_str(), slot, value) {
            (Some("services"), Value::Mapping(services), Value::Mapping(overrides)) => {
                for (name, service) in overrides {
                    match services.get_mut(&name) {
                        Some(existing) => merge_service(existing, service),
                        None => {
                            services.insert(name, service);
                        }
                    }
                }
            }
            (Some(_), Value::Mapping(entries), Value::Mapping(overrides)) => {
                entries.extend(overrides);
            }
            (_, slot, value) => *slot = value,
        }
    }
}

/// Keys of a service that replace rather than merge.
const REPLACED: [&str; 2] = ["command", "entrypoint"];

fn merge_service(base: &mut Value, over: Value) {
    let Value::Mapping(over) = over else {
        *base = over;
        return;
    };
    if !base.is_mapping() {
        *base = Value::Mapping(Mapping::new());
    }
    let Value::Mapping(base) = base else { return };
    for (key, value) in over {
        let name = key.as_str().unwrap_or_default().to_owned();
        let slot = base.entry(key).or_insert(Value::Null);
        match (IDENTIFIED.contains(&name.as_str()), &mut *slot, value) {
            (true, Value::Sequence(entries), Value::Sequence(overrides)) => {
                for entry in overrides {
                    let id = identity(&name, &entry);
                    match entries
                        .iter_mut()
                        .find(|e| id.is_some() && identity(&name, e) == id)
                    {
                        Some(existing) => *existing = entry,
                        None => entries.push(entry),
                    }
                }
            }
            (_, slot, value) if REPLACED.contains(&name.as_str()) => *slot = value,
            (_, slot, value) => merge_deep(slot, value),
        }
    }
}

/// Lists of a service whose entries have an identity.
const IDENTIFIED: [&str; 4] = ["secrets", "configs", "volumes", "ports"];

/// The identity of an entry of the list `list` of a service.
fn identity(list: &str, entry: &Value) -> Option<String> {
    match list {
        "secrets" | "configs" => parse::<FileReference>(entry).map(|r| r.source),
        "volumes" => parse::<ServiceVolume>(entry).map(|v| v.target),
        "ports" => parse::<Port>(entry).map(|p| match p.published {
            Some(published) => format!("{published}/{:?}", p.protocol),
            None => format!("target {}/{:?}", p.target, p.protocol),
        }),
        _ => None,
    }
}

fn merge_deep(base: &mut Value, over: Value) {
    match (&mut *base, over) {
        (Value::Mapping(base), Value::Mapping(over)) => {
            for (key, value) in over {
                let replaced = key.as_str() == Some("test");
                let slot = base.entry(key).or_insert(Value::Null);
                if replaced {
                    *slot = value;
                } else {
                    merge_deep(slot, value);
                }
            }
        }
        (Value::Sequence(base), Value::Sequence(over)) => {
            for item in over {
                if !base.contains(&item) {
                    base.push(item);
                }
            }
        }
        (base, over) => *base = over,
    }
}

/// A list-or-mapping key as a mapping of strings, values filled by `lookup`.
fn to_mapping(value: Option<&mut Value>, lookup: &dyn Fn(&str) -> Option<String>) {
    let Some(value) = value else { return };
    let Some(pairs) = parse::<ListOrDict>(value) else {
        return;
    };
    let mapping: Mapping = pairs
        .pairs(lookup)
        .into_iter()
        .map(|(k, v)| (Value::String(k), Value::String(v)))
        .collect();
    *value = Value::Mapping(mapping);
}

fn parse<T: serde::de::DeserializeOwned>(value: &Value) -> Option<T> {
    serde_yaml_ng::from_value(value.clone()).ok()
}

/// A scalar's text.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests;

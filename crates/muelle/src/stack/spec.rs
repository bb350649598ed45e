//! The stack as Engine API objects, as `docker stack deploy` makes them
//! (docker/cli's `cli/compose/convert`): names scoped by the stack
//! (`<stack>_<key>`) unless the file gives a `name:`, the namespace label
//! on everything, overlay networks, secrets and configs carrying their
//! content. Pure: the contents were read when the stack was loaded.
//!
//! Empty lists, empty maps and `false` are left out (`None`), as the
//! Engine API leaves them out of what it stores, so a spec built twice
//! from one file compares equal to itself and to what Swarm gives back.

mod container;
mod service;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine as _;
use bollard::models::{ConfigSpec, Driver, NetworkCreateRequest, SecretSpec};

use super::check::network_names;
use super::model::{FileObject, ListOrDict, StackFile};
use super::{Error, NAMESPACE_LABEL, StackPlan};

pub use service::IMAGE_LABEL;

/// The network driver of a stack network that names none.
pub const DEFAULT_DRIVER: &str = "overlay";

/// Turns a loaded stack into what a deploy asks Swarm for.
///
/// Secret and config references in the service specs carry `SecretName`
/// and `ConfigName` (the full names of [`StackPlan::secrets`] and
/// [`StackPlan::configs`] or of external objects) and no IDs: Swarm gives
/// those only when an object is created, so whoever creates them fills in
/// `SecretID`/`ConfigID` by name before creating or updating a service.
pub fn plan(file: &StackFile, namespace: &str) -> Result<StackPlan, Error> {
    check_namespace(namespace)?;
    let scope = Scope(namespace);
    let services = file
        .services
        .iter()
        .map(|(name, service)| (name.clone(), service::spec(&scope, file, name, service)))
        .collect();
    Ok(StackPlan {
        namespace: namespace.to_owned(),
        networks: networks(&scope, file),
        secrets: file_objects(&scope, &file.secrets)
            .map(|made| SecretSpec {
                name: Some(made.name),
                labels: Some(made.labels),
                data: Some(made.data),
                templating: made.templating,
                ..SecretSpec::default()
            })
            .collect(),
        configs: file_objects(&scope, &file.configs)
            .map(|made| ConfigSpec {
                name: Some(made.name),
                labels: Some(made.labels),
                data: Some(made.data),
                templating: made.templating,
            })
            .collect(),
        services,
    })
}

/// Stack names become prefixes of Docker object names.
fn check_namespace(namespace: &str) -> Result<(), Error> {
    let bad = |problem| {
        Err(Error::BadNamespace {
            name: namespace.to_owned(),
            problem,
        })
    };
    if namespace.is_empty() {
        return bad("a stack needs a name");
    }
    if !namespace.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return bad("it must start with a letter or digit");
    }
    if !namespace
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        return bad("use letters, digits, `_`, `.` and `-` only");
    }
    Ok(())
}

/// Names and labels of one stack's objects.
pub struct Scope<'a>(pub &'a str);

impl Scope<'_> {
    /// `<stack>_<key>`, the name of an object the file names by key only.
    pub fn name(&self, key: &str) -> String {
        format!("{}_{key}", self.0)
    }

    /// The object's own labels plus the namespace label.
    pub fn labels(&self, own: Option<&ListOrDict>) -> HashMap<String, String> {
        let mut labels: HashMap<String, String> = own
            .map(|l| l.pairs(&|_| Some(String::new())).into_iter().collect())
            .unwrap_or_default();
        labels.insert(NAMESPACE_LABEL.into(), self.0.to_owned());
        labels
    }
}

/// The networks the services join, except external ones, by full name.
fn networks(scope: &Scope, file: &StackFile) -> Vec<NetworkCreateRequest> {
    let used: BTreeSet<String> = file.services.values().flat_map(network_names).collect();
    used.into_iter()
        .filter_map(|key| {
            let network = file.networks.get(&key).cloned().unwrap_or_default();
            if network.external.as_ref().is_some_and(|e| e.0) {
                return None;
            }
            let flag =
                |f: &Option<super::model::scalar::Flag>| f.as_ref().filter(|f| f.0).map(|_| true);
            Some(NetworkCreateRequest {
                name: network.name.clone().unwrap_or_else(|| scope.name(&key)),
                driver: Some(
                    network
                        .driver
                        .clone()
                        .unwrap_or_else(|| DEFAULT_DRIVER.into()),
                ),
                attachable: flag(&network.attachable),
                internal: flag(&network.internal),
                options: non_empty(network.driver_opts.clone().into_iter().collect()),
                labels: Some(scope.labels(network.labels.as_ref())),
                ..NetworkCreateRequest::default()
            })
        })
        .collect()
}

/// A secret or config the stack makes, as the Engine API takes it.
struct MadeObject {
    name: String,
    labels: HashMap<String, String>,
    /// The content, base64.
    data: String,
    /// `template_driver:`, which Swarm renders with each task's own values.
    templating: Option<Driver>,
}

/// Each secret or config the stack makes.
fn file_objects<'a>(
    scope: &'a Scope,
    objects: &'a BTreeMap<String, FileObject>,
) -> impl Iterator<Item = MadeObject> + 'a {
    objects
        .iter()
        .filter(|(_, o)| !o.external.as_ref().is_some_and(|e| e.0))
        .map(move |(key, object)| MadeObject {
            name: object_name(scope, key, object),
            labels: scope.labels(object.labels.as_ref()),
            data: base64::engine::general_purpose::STANDARD
                .encode(object.data.as_deref().unwrap_or_default()),
            templating: object.template_driver.as_ref().map(|name| Driver {
                name: name.clone(),
                options: None,
            }),
        })
}

/// The Swarm name of a secret or config: its `name:`, else scoped (an
/// external one, made outside the stack, by its key as it is).
pub fn object_name(scope: &Scope, key: &str, object: &FileObject) -> String {
    match (&object.name, object.external.as_ref().is_some_and(|e| e.0)) {
        (Some(name), _) => name.clone(),
        (None, true) => key.to_owned(),
        (None, false) => scope.name(key),
    }
}

/// `None` for an empty map, as the Engine API stores it.
pub fn non_empty<K, V>(map: HashMap<K, V>) -> Option<HashMap<K, V>> {
    (!map.is_empty()).then_some(map)
}

/// A count as the Engine API's signed integer (counts past `i64::MAX` saturate).
pub fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;

//! A service's health check, kept where muelle can read it back. bollard's
//! model names the field `HealthCheck`, while the Engine writes
//! `Healthcheck` in every inspect: the daemon reads muelle's spec fine (Go
//! matches JSON keys without case), but an inspected spec comes back with
//! no health check at all. Compared as it is, every service would look
//! changed; written back (`muelle update`), it would lose its health check.
//! So every spec muelle writes carries its health check as JSON in a
//! label, and every spec muelle reads gets it back from there.

use bollard::models::{HealthConfig, ServiceSpec};

/// The service label holding the health check as JSON (`null` for none).
pub const LABEL: &str = "muelle.healthcheck";

/// Copies the spec's health check into its label, before it is written.
pub fn record(spec: &mut ServiceSpec) {
    let check = spec
        .task_template
        .as_ref()
        .and_then(|t| t.container_spec.as_ref())
        .and_then(|c| c.health_check.as_ref());
    let json = serde_json::to_string(&check).unwrap_or_else(|_| "null".into());
    spec.labels
        .get_or_insert_with(Default::default)
        .insert(LABEL.to_owned(), json);
}

/// Puts the health check of the label back into an inspected spec;
/// whether the label was there (the spec was last written by muelle).
pub fn restore(spec: &mut ServiceSpec) -> bool {
    let Some(json) = spec.labels.as_ref().and_then(|l| l.get(LABEL)) else {
        return false;
    };
    let check: Option<HealthConfig> = serde_json::from_str(json).unwrap_or(None);
    let container = spec
        .task_template
        .get_or_insert_with(Default::default)
        .container_spec
        .get_or_insert_with(Default::default);
    if container.health_check.is_none() {
        container.health_check = check;
    }
    true
}

#[cfg(test)]
mod tests {
    use bollard::models::{HealthConfig, ServiceSpec};

    use super::{LABEL, record, restore};

    #[test]
    fn an_inspected_spec_gets_its_health_check_back_from_the_label() {
        let check = HealthConfig {
            test: Some(vec!["CMD".into(), "true".into()]),
            interval: Some(1_000_000_000),
            ..Default::default()
        };
        let mut written: ServiceSpec = serde_json::from_value(serde_json::json!({
            "TaskTemplate": {"ContainerSpec": {"Image": "x"}}
        }))
        .unwrap();
        let container = written
            .task_template
            .as_mut()
            .unwrap()
            .container_spec
            .as_mut();
        container.unwrap().health_check = Some(check.clone());
        record(&mut written);

        // What the Engine hands back, as bollard reads it.
        let inspect = serde_json::json!({
            "Labels": {LABEL: written.labels.as_ref().unwrap()[LABEL]},
            "TaskTemplate": {"ContainerSpec": {"Image": "x", "Healthcheck": {"Test": ["CMD", "true"]}}}
        });
        let mut read: ServiceSpec = serde_json::from_value(inspect).unwrap();
        let lost = read.task_template.as_ref().unwrap().container_spec.as_ref();
        assert_eq!(
            lost.unwrap().health_check,
            None,
            "bollard now reads the Engine's Healthcheck: this module can go"
        );
        assert!(restore(&mut read));
        let back = read
            .task_template
            .unwrap()
            .container_spec
            .unwrap()
            .health_check;
        assert_eq!(back, Some(check));
    }

    #[test]
    fn a_spec_muelle_did_not_write_is_told_apart() {
        assert!(!restore(&mut ServiceSpec::default()));
    }
}

//! The project's own stack files (the app's and the monitoring stack's) with the variables a deploy would set,
//! and the password and CA files they read, in a temporary folder: shared
//! by the loader's and the planner's unit tests.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::StackSource;

/// The real `deploy/stack.yaml` and `deploy/stack.lab.yaml`, ready to load.
pub struct RealStack {
    /// Holds the password and CA files.
    pub dir: tempfile::TempDir,
    /// The files and variables.
    pub source: StackSource,
}

impl RealStack {
    /// The base file alone (`lab` false) or with the lab's override.
    pub fn new(lab: bool) -> RealStack {
        let deploy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("db_password"), "first password\n").unwrap();
        std::fs::write(dir.path().join("ca.pem"), "-----BEGIN CERTIFICATE-----\n").unwrap();
        let mut files = vec![deploy.join("stack.yaml")];
        if lab {
            files.push(deploy.join("stack.lab.yaml"));
        }
        let variables: BTreeMap<String, String> = [
            ("VOTE_IMAGE", "registry.test/vote@sha256:1111"),
            ("RESULT_IMAGE", "registry.test/result@sha256:2222"),
            ("WORKER_IMAGE", "registry.test/worker@sha256:3333"),
            ("INGRESS_DOMAIN", "voting.lab.test"),
            ("LAB_PEBBLE_IP", "10.99.0.5"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .chain([
            (
                "DB_PASSWORD_FILE".to_owned(),
                dir.path().join("db_password").display().to_string(),
            ),
            (
                "ACME_CA_FILE".to_owned(),
                dir.path().join("ca.pem").display().to_string(),
            ),
        ])
        .collect();
        RealStack {
            dir,
            source: StackSource { files, variables },
        }
    }

    /// The real `deploy/monitoring/monitoring.yaml`, with its lab override
    /// when `lab`, and the variables a deploy sets.
    pub fn monitoring(lab: bool) -> RealStack {
        let mut stack = RealStack::new(false);
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/monitoring");
        stack.source.files = vec![dir.join("monitoring.yaml")];
        if lab {
            stack.source.files.push(dir.join("monitoring.lab.yaml"));
        }
        stack.source.variables.insert(
            "ALERT_WEBHOOK_URL".into(),
            "http://hooks.test/alerts".into(),
        );
        stack
    }

    /// The password file.
    pub fn password_file(&self) -> PathBuf {
        self.dir.path().join("db_password")
    }
}

//! The database password rotated as the README says: changed in PostgreSQL
//! first, then in the password file, then `muelle deploy`. Swarm secrets
//! cannot change, so the deploy makes a new secret named by the new
//! content's hash, moves db, worker and result to it, and removes the old
//! one; the app still stores votes, so worker reached PostgreSQL with the
//! new password.

use std::time::{Duration, Instant};

use testkit::Lab;

use crate::app::{self, Ingress, muelle_ok};

/// The services that read the password.
const READERS: [&str; 3] = ["db", "worker", "result"];

pub fn a_changed_secret_rolls_out_as_a_new_one(lab: &Lab) {
    let before = secrets(lab);
    assert_eq!(before.len(), 1, "{before:?}");
    let password = format!("rotated-{}-{}", std::process::id(), "x".repeat(24));
    app::psql(lab, &format!("ALTER USER postgres PASSWORD '{password}'"));
    let file = lab.field("/variables/DB_PASSWORD_FILE");
    std::fs::write(&file, &password).expect("write the password file");

    let stdout = muelle_ok(lab, &["deploy", "--env", "lab"]);
    assert!(!stdout.contains("Labels are allowed"), "{stdout}");
    let after = secrets(lab);
    assert_eq!(after.len(), 1, "the old secret was not removed: {after:?}");
    assert_ne!(after, before, "the secret kept its name");
    for service in READERS {
        let used = lab.docker_ok(&[
            "service",
            "inspect",
            &app::full(service),
            "--format",
            "{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}",
        ]);
        assert_eq!(used.trim(), after[0], "{service} reads another secret");
    }

    let ingress = Ingress::of(lab);
    let voter = app::block_on(ingress.vote("b"));
    let started = Instant::now();
    while !app::stored_voters(lab).contains(&voter) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "a vote after the rotation was not stored: worker cannot reach the database"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The names of the database password's secrets in the swarm.
fn secrets(lab: &Lab) -> Vec<String> {
    lab.docker_ok(&[
        "secret",
        "ls",
        "--filter",
        "name=db_password_",
        "--format",
        "{{.Name}}",
    ])
    .lines()
    .map(str::to_owned)
    .collect()
}

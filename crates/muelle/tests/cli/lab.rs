//! `muelle lab` on bad input and with no lab: one clear line and the right
//! exit code, without making anything. The lab itself is tested in the
//! `cluster` test binary, which starts one.

use crate::common::{Test, project_name, repo};

/// A lab name no test ever makes.
fn absent_lab() -> String {
    format!("muelle-test-{}-absent", std::process::id())
}

#[test]
fn lab_up_refuses_a_node_count_out_of_range() {
    for nodes in ["0", "10", "three"] {
        let output = Test::new(&repo(), &project_name("l"))
            .args(&["lab", "up", "--name", &absent_lab(), "--nodes", nodes])
            .output();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("--nodes"), "{stderr}");
    }
    let left = std::process::Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=muelle.lab={}", absent_lab()),
        ])
        .output()
        .expect("docker ps");
    assert!(left.stdout.is_empty(), "a refused lab up made containers");
}

#[test]
fn lab_up_refuses_a_name_that_cannot_name_hosts() {
    let line = Test::new(&repo(), &project_name("l"))
        .args(&["lab", "up", "--name", "Bad_Lab"])
        .failure(2);
    assert!(
        line.contains("cannot use `Bad_Lab` as a lab name"),
        "{line}"
    );
}

#[test]
fn lab_status_without_a_lab_says_so() {
    let name = absent_lab();
    for args in [&["lab", "status"][..], &["lab", "status", "--json"][..]] {
        let line = Test::new(&repo(), &project_name("l"))
            .args(args)
            .env("MUELLE_LAB", &name)
            .failure(1);
        assert_eq!(
            line,
            format!(
                "muelle: no lab `{name}` on this Docker engine: start one with `muelle lab up`"
            )
        );
    }
}

#[test]
fn lab_down_without_a_lab_removes_nothing_and_succeeds() {
    let state = tempfile::tempdir().unwrap();
    let name = absent_lab();
    let stdout = Test::new(&repo(), &project_name("l"))
        .args(&["lab", "down", "--name", &name])
        .env("MUELLE_LAB_STATE", state.path())
        .success();
    assert_eq!(stdout.trim(), format!("no lab `{name}`: nothing to remove"));
}

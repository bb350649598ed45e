//! The lab registry: an image the host pushes to `127.0.0.1:<port>/…` runs
//! on a worker under the same name, pulled by that worker's own engine.

use std::time::{Duration, Instant};

use testkit::Lab;

pub fn a_node_pulls_what_the_host_pushed(lab: &Lab) {
    let image = format!("{}/test/pull-{}:1", lab.registry(), std::process::id());
    let host = |args: &[&str]| {
        let output = std::process::Command::new("docker")
            .args(args)
            .output()
            .expect("docker");
        assert!(
            output.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    host(&["tag", "muelle/debian:bookworm", &image]);
    let pushed = host(&["push", &image]);
    let _untag = Untag(image.clone());
    assert!(pushed.contains("digest: sha256:"), "{pushed}");

    let worker = format!("{}-node-2", lab.name);
    let service = format!("pull-{}", std::process::id());
    lab.docker_ok(&[
        "service",
        "create",
        "--detach",
        "--name",
        &service,
        "--constraint",
        &format!("node.hostname=={worker}"),
        "--restart-condition",
        "none",
        &image,
        "sleep",
        "600",
    ]);
    let _remove = RemoveService(lab, service.clone());
    let started = Instant::now();
    loop {
        let tasks = lab.docker_ok(&[
            "service",
            "ps",
            &service,
            "--no-trunc",
            "--format",
            "{{.Node}}|{{.CurrentState}}|{{.Error}}",
        ]);
        if tasks
            .lines()
            .any(|t| t.starts_with(&format!("{worker}|Running")))
        {
            break;
        }
        assert!(
            !tasks.contains("No such image") && !tasks.contains("Rejected"),
            "the worker could not pull: {tasks}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "no task running on {worker}: {tasks}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let on_worker = std::process::Command::new("docker")
        .args([
            "exec",
            &worker,
            "docker",
            "image",
            "ls",
            "--format",
            "{{.Repository}}",
        ])
        .output()
        .expect("docker exec");
    let on_worker = String::from_utf8_lossy(&on_worker.stdout);
    let repository = image.rsplit_once(':').map_or(image.as_str(), |(r, _)| r);
    assert!(
        on_worker.lines().any(|l| l == repository),
        "{worker} has no {repository}: {on_worker}"
    );
}

/// Removes the host's tag of the pushed image.
struct Untag(String);

impl Drop for Untag {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rmi", &self.0])
            .output();
    }
}

/// Removes the test's service from the lab.
struct RemoveService<'a>(&'a Lab, String);

impl Drop for RemoveService<'_> {
    fn drop(&mut self) {
        let _ = self.0.docker(&["service", "rm", &self.1]).output();
    }
}

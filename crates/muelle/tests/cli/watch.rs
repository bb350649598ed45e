//! `muelle up --watch`: a saved source change is served without restarting
//! muelle, from the host's binary mounted into the container (no image is
//! packaged for it), and a plain `muelle up` afterwards goes back to the
//! packaged image without the mount.

use std::time::Duration;

use crate::common::{Cleanup, Test, eventually, free_port, hello_project, http, project_name};

#[test]
fn a_source_change_is_rebuilt_and_served() {
    let dir = hello_project();
    let project = project_name("watch");
    let image = format!("muelle-test/{project}:local");
    let _cleanup = Cleanup::new(&project).image(&image);
    let port = free_port();
    let mut child = Test::new(dir.path(), &project)
        .env("HELLO_PORT", port.to_string())
        .env("HELLO_IMAGE", &image)
        .args(&["up", "--watch", "hello"])
        .spawn(dir.path());
    let stderr = || std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap_or_default();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        eventually("muelle to watch", Duration::from_secs(300), || {
            assert!(
                child.try_wait().unwrap().is_none(),
                "muelle exited: {}",
                stderr()
            );
            stderr().contains("watching hello").then_some(())
        });
        let stdout = std::fs::read_to_string(dir.path().join("stdout.txt")).unwrap();
        assert!(
            stdout.contains(&format!("hello    http://localhost:{port}")),
            "{stdout}"
        );
        assert_eq!(http(port, "GET /", &[], ""), Some((200, "hello v1".into())));
        let container = format!("{project}-hello-1");
        let (binds, watched_image) = mounts_and_image(&container);
        assert!(
            binds.contains(":/usr/local/bin/app:ro") && binds.contains("/target/debug/hello"),
            "the watched service does not run the host's binary: {binds}"
        );

        let main = dir.path().join("src/main.rs");
        let source = std::fs::read_to_string(&main).unwrap();
        std::fs::write(&main, source.replace("hello v1", "hello v2")).unwrap();
        eventually("the change to be served", Duration::from_secs(120), || {
            http(port, "GET /", &[], "").filter(|(_, body)| body == "hello v2")
        });
        eventually("the reload to be reported", Duration::from_secs(10), || {
            stderr().contains("hello reloaded in").then_some(())
        });
        assert_eq!(
            mounts_and_image(&container).1,
            watched_image,
            "a save packaged a new image"
        );
    }));
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = result {
        eprintln!("muelle's stderr:\n{}", stderr());
        std::panic::resume_unwind(panic);
    }

    Test::new(dir.path(), &project)
        .env("HELLO_PORT", port.to_string())
        .env("HELLO_IMAGE", &image)
        .args(&["up", "hello"])
        .success();
    let container = format!("{project}-hello-1");
    let (binds, _) = mounts_and_image(&container);
    assert!(
        !binds.contains("/usr/local/bin/app"),
        "plain up kept the mount: {binds}"
    );
    assert_eq!(http(port, "GET /", &[], ""), Some((200, "hello v2".into())));
}

/// A container's bind mounts and its image id, as the engine has them.
fn mounts_and_image(container: &str) -> (String, String) {
    let output = std::process::Command::new("docker")
        .args([
            "inspect",
            "--format",
            "{{json .HostConfig.Binds}} {{.Image}}",
            container,
        ])
        .output()
        .expect("docker inspect");
    let text = String::from_utf8_lossy(&output.stdout);
    let (binds, image) = text.trim().rsplit_once(' ').unwrap_or_default();
    (binds.to_owned(), image.to_owned())
}

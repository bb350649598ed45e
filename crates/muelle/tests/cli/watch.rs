//! `muelle up --watch`: a saved source change is served without restarting muelle.

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

        let main = dir.path().join("src/main.rs");
        let source = std::fs::read_to_string(&main).unwrap();
        std::fs::write(&main, source.replace("hello v1", "hello v2")).unwrap();
        eventually("the change to be served", Duration::from_secs(120), || {
            http(port, "GET /", &[], "").filter(|(_, body)| body == "hello v2")
        });
        eventually("the reload to be reported", Duration::from_secs(10), || {
            stderr().contains("hello reloaded in").then_some(())
        });
    }));
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = result {
        eprintln!("muelle's stderr:\n{}", stderr());
        std::panic::resume_unwind(panic);
    }
}

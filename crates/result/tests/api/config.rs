//! Bad configuration stops the binary at start with one line naming the
//! variable.

use std::process::Stdio;

#[tokio::test]
async fn bad_configuration_is_rejected_naming_the_variable() {
    for (name, value) in [
        ("PORT", "eighty"),
        ("OPTION_A", " "),
        ("DATABASE_URL", "postgres://u:secret@h:notaport/db"),
        ("REFRESH_INTERVAL_MS", "0"),
        ("MAX_SSE_CLIENTS", "many"),
        ("TALLY_RECONCILE_INTERVAL_MS", "hourly"),
    ] {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_result"))
            .env_clear()
            .env(name, value)
            .stdin(Stdio::null())
            .output()
            .await
            .expect("running the result binary");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}={value:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}={value:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("result: {name}: ")),
            "{name}={value:?}: {stderr}"
        );
        assert!(!stderr.contains("secret"), "a password leaked: {stderr}");
    }
}

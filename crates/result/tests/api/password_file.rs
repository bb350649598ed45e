//! `DATABASE_PASSWORD_FILE`: the binary logs in with the password from the
//! file, as the Swarm stack gives it as a Docker secret, and a file it cannot
//! use stops it at start with one line naming the variable and the file.

use std::io::Write;
use std::process::Stdio;

use testkit::{DEFAULT_DEADLINE, Postgres, eventually};
use voting::tally::Tally;

/// A password with the characters a URL's userinfo must encode.
const PASSWORD: &str = "p@ss:w/rd%2F ?#";

/// A file holding `contents`, removed when dropped.
fn secret_file(contents: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(contents.as_bytes()).unwrap();
    file
}

/// The result binary with only `vars` set.
fn result_binary(vars: &[(&str, &str)]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_result"));
    command
        .env_clear()
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    testkit::die_with_test(&mut command);
    command
}

#[tokio::test]
async fn the_binary_logs_in_with_the_password_from_the_file_only() {
    let postgres = Postgres::start_requiring_passwords().await;
    let owner = postgres.client().await;
    let create = format!(
        "CREATE ROLE voter LOGIN PASSWORD '{PASSWORD}'; GRANT ALL ON SCHEMA public TO voter"
    );
    owner.batch_execute(&create).await.unwrap();
    // The URL's own password is wrong: only the file's can let it in.
    let url = postgres.url_as("voter");
    let refused = tokio_postgres::connect(&url, tokio_postgres::NoTls).await;
    assert!(refused.is_err(), "the server does not check passwords");

    let file = secret_file(&format!("{PASSWORD}\n"));
    let port = testkit::free_port().to_string();
    let mut child = result_binary(&[
        ("PORT", &port),
        ("DATABASE_URL", &url),
        ("DATABASE_PASSWORD_FILE", file.path().to_str().unwrap()),
        ("REFRESH_INTERVAL_MS", "100"),
    ])
    .spawn()
    .expect("starting the result binary");
    let http = reqwest::Client::new();
    let results = format!("http://127.0.0.1:{port}/api/results");
    let counts = |want: Tally| {
        let (http, results) = (&http, &results);
        async move {
            let response = http.get(results).send().await.ok()?;
            (response.json::<Tally>().await.ok()? == want).then_some(())
        }
    };
    eventually("the counts read as voter", DEFAULT_DEADLINE, || {
        counts(Tally { a: 0, b: 0 })
    })
    .await;
    owner
        .batch_execute("INSERT INTO votes (id, vote) VALUES ('v1', 'a')")
        .await
        .unwrap();
    eventually("the new vote counted", DEFAULT_DEADLINE, || {
        counts(Tally { a: 1, b: 0 })
    })
    .await;
    child.kill().await.unwrap();
}

#[tokio::test]
async fn a_password_file_it_cannot_use_stops_the_binary_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("db_password");
    let empty = secret_file("\n");
    for (path, why) in [
        (missing.to_str().unwrap(), "cannot read"),
        (empty.path().to_str().unwrap(), "holds no password"),
    ] {
        let mut command = result_binary(&[
            ("DATABASE_URL", "postgres://voter:secret@127.0.0.1/postgres"),
            ("DATABASE_PASSWORD_FILE", path),
        ]);
        let output = command.stderr(Stdio::piped()).output();
        let output = tokio::time::timeout(DEFAULT_DEADLINE, output)
            .await
            .expect("the binary stops at start")
            .expect("running the result binary");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{path}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{path}: {stderr}");
        assert!(
            stderr.starts_with("result: DATABASE_PASSWORD_FILE: "),
            "{stderr}"
        );
        assert!(stderr.contains(path) && stderr.contains(why), "{stderr}");
        assert!(!stderr.contains("secret"), "a password leaked: {stderr}");
    }
}

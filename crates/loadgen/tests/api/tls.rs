//! Voting through an HTTPS ingress, as the cluster tests do: real TLS with
//! a certificate for `voting.lab.test`, reached with `--connect-to` and
//! trusted with `--ca`, in front of the real services.

use std::process::Output;
use std::time::Duration;

use crate::helpers::Stack;
use crate::ingress::{Ingress, NAME, Pki, addr_of, arg};

/// Longer than any of these runs takes; a hang fails the test instead of
/// stalling it.
const NO_HANG: Duration = Duration::from_secs(60);

async fn loadgen(args: &[&str]) -> Output {
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(NO_HANG, run)
        .await
        .expect("loadgen finishes")
        .expect("running loadgen")
}

fn summary(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {:?}, stderr {:?}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[tokio::test]
async fn votes_through_the_ingress_are_acknowledged_and_queued() {
    let stack = Stack::vote_only().await;
    let pki = Pki::new();
    let ingress = Ingress::start(&pki, addr_of(&stack.vote_url)).await;
    let url = format!("https://{NAME}/");
    let rule = ingress.connect_https(443);
    let output = loadgen(&[
        "vote",
        &url,
        "--connect-to",
        &rule,
        "--ca",
        arg(&pki.ca()),
        "-n",
        "200",
        "-c",
        "4",
        "--json",
    ])
    .await;
    assert!(output.status.success(), "{output:?}");
    let summary = summary(&output);
    assert_eq!(summary["acknowledged"], 200, "{summary}");
    assert_eq!(summary["errors"], serde_json::json!({}), "{summary}");
    assert_eq!(summary["url"], url.as_str());
    assert_eq!(stack.queued_voters().await.len(), 200);
}

#[tokio::test]
async fn an_untrusted_or_misnamed_certificate_fails_every_request_with_the_reason() {
    let stack = Stack::vote_only().await;
    let pki = Pki::new();
    let ingress = Ingress::start(&pki, addr_of(&stack.vote_url)).await;
    let other = "other.lab.test";
    let cases = [
        (NAME, pki.other_ca(), "UnknownIssuer (pass the authority"),
        (other, pki.ca(), "not valid for name"),
    ];
    for (host, ca, reason) in cases {
        let rule = format!("{host}:443:127.0.0.1:{}", ingress.https_port);
        let url = format!("https://{host}/");
        let output = loadgen(&[
            "vote",
            &url,
            "--connect-to",
            &rule,
            "--ca",
            arg(&ca),
            "-n",
            "12",
            "-c",
            "3",
            "--json",
        ])
        .await;
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let summary = summary(&output);
        assert_eq!(summary["acknowledged"], 0, "{summary}");
        assert_eq!(
            summary["errors"],
            serde_json::json!({"tls": 12}),
            "{summary}"
        );
        let message = summary["error_messages"]["tls"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.starts_with(&format!("TLS handshake with {host} failed"))
                && message.contains(reason),
            "{host}: {message}"
        );
    }
    assert!(stack.queued_voters().await.is_empty());
}

#[tokio::test]
async fn a_redirect_to_https_counts_as_failed_requests() {
    let stack = Stack::vote_only().await;
    let pki = Pki::new();
    let ingress = Ingress::start(&pki, addr_of(&stack.vote_url)).await;
    let rule = format!("{NAME}:80:127.0.0.1:{}", ingress.http_port);
    let url = format!("http://{NAME}/");
    let output = loadgen(&["vote", &url, "--connect-to", &rule, "-n", "10", "-c", "2"]).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("errors: http_308 10"), "{text}");
    assert!(
        text.contains(&format!(
            "http_308: answered 308 redirecting to https://{NAME}/;"
        )),
        "{text}"
    );
    assert!(stack.queued_voters().await.is_empty());
}

#[tokio::test]
async fn the_screen_and_idle_streams_go_through_the_ingress_too() {
    let stack = Stack::full().await;
    let pki = Pki::new();
    let vote = Ingress::start(&pki, addr_of(&stack.vote_url)).await;
    let result = Ingress::start(&pki, addr_of(stack.result_url.as_ref().unwrap())).await;
    let (vote_rule, result_rule) = (vote.connect_https(443), result.connect_https(8443));
    let events = format!("https://{NAME}:8443/events");
    let ca = pki.ca();
    let dial = [
        "--connect-to",
        &vote_rule,
        "--connect-to",
        &result_rule,
        "--ca",
        arg(&ca),
    ];
    let vote_url = format!("https://{NAME}/");
    let mut args = vec![
        "vote", &vote_url, "--screen", &events, "-n", "50", "-c", "2", "--json",
    ];
    args.extend(dial);
    let output = loadgen(&args).await;
    assert!(output.status.success(), "{output:?}");
    let summary = summary(&output);
    assert_eq!(summary["acknowledged"], 50, "{summary}");
    assert_eq!(summary["screen"]["shown"], 50, "{summary}");
    assert_eq!(summary["screen"]["missing"], 0, "{summary}");

    let mut args = vec!["watch", &events, "-c", "10", "-d", "200ms"];
    args.extend(dial);
    let output = loadgen(&args).await;
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("10 of 10 streams open"), "{text}");

    let other_ca = pki.other_ca();
    let args = [
        "watch",
        &events,
        "-c",
        "3",
        "-d",
        "100ms",
        "--connect-to",
        &result_rule,
        "--ca",
        arg(&other_ca),
    ];
    let output = loadgen(&args).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("failed: tls 3"), "{text}");
    assert!(
        text.contains("tls: TLS handshake with voting.lab.test failed"),
        "{text}"
    );
}

#[tokio::test]
async fn bad_tls_options_get_one_line_errors() {
    let pki = Pki::new();
    let missing = pki.ca().with_file_name("missing.pem");
    let empty = pki.ca().with_file_name("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let url = format!("https://{NAME}/");
    for (args, expected) in [
        (
            vec![
                "vote",
                &url,
                "--connect-to",
                "voting.lab.test:443:127.0.0.1",
            ],
            "loadgen: bad --connect-to \"voting.lab.test:443:127.0.0.1\": expected HOST:PORT:ADDR:PORT",
        ),
        (
            vec!["watch", &url, "--connect-to", "voting.lab.test:443"],
            "loadgen: bad --connect-to",
        ),
        (
            vec![
                "vote",
                &url,
                "--connect-to",
                "voting.lab.test:443:127.0.0.1:1",
                "--ca",
                arg(&missing),
            ],
            "loadgen: cannot use --ca",
        ),
        (
            vec![
                "vote",
                &url,
                "--connect-to",
                "voting.lab.test:443:127.0.0.1:1",
                "--ca",
                arg(&empty),
            ],
            "no PEM certificate in it",
        ),
    ] {
        let output = loadgen(&args).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

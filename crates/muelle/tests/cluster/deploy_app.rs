//! The app from nothing to serving: `muelle push --env lab` and `muelle
//! deploy --env lab` bring every service to its replicas, each task on the
//! digest the lab registry gives the commit's tag; the ingress answers over
//! HTTPS with a certificate pebble issued (checked against pebble's root
//! and nothing else), redirects plain HTTP, and a vote cast through it is
//! stored and counted on the result page behind `/result`. Then what a
//! deploy to the lab must refuse, each in one line.

use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::Lab;

use crate::app::{self, Ingress, muelle, muelle_ok, texts};

/// The app services and their replicas in deploy/stack.yaml.
pub const APP: [(&str, usize); 3] = [("vote", 2), ("result", 2), ("worker", 2)];

pub fn deploys_from_zero_and_serves_over_https(lab: &Lab) {
    muelle_ok(lab, &["push", "--env", "lab"]);
    let stdout = muelle_ok(lab, &["deploy", "--env", "lab", "--json"]);
    let report: Value = serde_json::from_str(&stdout).expect("deploy --json is JSON");
    assert_eq!(report["outcome"], "succeeded", "{report}");
    let history = app::history(lab);
    let first = history.last().expect("the deploy is in the history");
    assert_eq!(first["command"], "deploy");
    assert_eq!(first["outcome"], "succeeded");
    for (service, replicas) in APP {
        let tag = first["services"][service]["tag"]
            .as_str()
            .unwrap_or_else(|| panic!("no tag of {service} in {first}"));
        let digest = app::registry_digest(lab, service, tag);
        assert_eq!(first["services"][service]["digest"], digest.as_str());
        let images = app::task_images(lab, service);
        assert_eq!(images.len(), replicas, "{service}: {images:?}");
        for image in images {
            assert_eq!(
                image,
                format!("{}/{service}@{digest}", lab.registry()),
                "{service} runs another image than its tag names"
            );
        }
    }
    let status = app::status(lab);
    let unhealthy: Vec<&Value> = status["tasks"]
        .as_array()
        .expect("status has tasks")
        .iter()
        .filter(|t| t["desired_state"] == "running")
        .filter(|t| t["state"] != "running" || t["health"] == "unhealthy")
        .collect();
    assert!(unhealthy.is_empty(), "{unhealthy:?}");

    let ingress = Ingress::of(lab);
    app::block_on(async {
        // Caddy asks pebble for the certificate when it starts: wait for it.
        let started = Instant::now();
        let page = loop {
            match ingress.get("/").await {
                Ok((200, page)) => break page,
                outcome => assert!(
                    started.elapsed() < Duration::from_secs(120),
                    "no verified HTTPS answer from {}: {outcome:?}",
                    ingress.base
                ),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        assert!(page.contains("Cats") && page.contains("Dogs"), "{page}");
        plain_http_is_redirected(lab, &ingress).await;
        let (status, _) = ingress.get("/result").await.expect("GET /result");
        assert_eq!(status, 308, "/result is sent to /result/");

        let before = counts(&ingress).await;
        let voter = ingress.vote("a").await;
        let started = Instant::now();
        loop {
            let now = counts(&ingress).await;
            if now.0 == before.0 + 1 {
                assert_eq!(now.1, before.1);
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the vote never reached the result page: {before:?} then {now:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            app::stored_voters(lab).contains(&voter),
            "{voter} is not in the table"
        );
        let (status, page) = ingress.get("/result/").await.expect("GET /result/");
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains("events"),
            "the result page has no stream: {page}"
        );
    });
}

/// The counts the result page serves, `(a, b)`.
async fn counts(ingress: &Ingress) -> (u64, u64) {
    let (status, body) = ingress
        .get("/result/api/results")
        .await
        .expect("GET /result/api/results");
    assert_eq!(status, 200, "{body}");
    let counts: Value = serde_json::from_str(&body).expect("the counts are JSON");
    let count = |key: &str| {
        counts[key]
            .as_u64()
            .unwrap_or_else(|| panic!("no {key} in {counts}"))
    };
    (count("a"), count("b"))
}

/// `http://<domain>:<port>/` answers with a redirect to HTTPS.
async fn plain_http_is_redirected(lab: &Lab, ingress: &Ingress) {
    let http = lab.field("/ingress/http");
    let addr: std::net::SocketAddr = http
        .trim_start_matches("http://")
        .parse()
        .expect("the HTTP ingress is an address");
    let client = reqwest::Client::builder()
        .resolve(&ingress.domain, addr)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let url = format!("http://{}:{}/", ingress.domain, addr.port());
    let response = client.get(&url).send().await.expect("GET over plain HTTP");
    assert!(
        response.status().is_redirection(),
        "{url}: {}",
        response.status()
    );
    let location = response
        .headers()
        .get("Location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(location.starts_with("https://"), "{url} sent to {location}");
}

/// A service the stack lacks and a tag the lab registry lacks: one line
/// each, a usage exit, and nothing rolled out.
pub fn bad_input_is_one_line(lab: &Lab) {
    let before = app::history(lab).len();
    for (args, expected) in [
        (
            &["deploy", "--env", "lab", "nope"][..],
            "muelle: unknown service `nope`: the stack has db, ingress, redis, result, vote, worker"
                .to_owned(),
        ),
        (
            &["update", "vote", "--env", "lab", "--tag", "nosuchtag"][..],
            format!(
                "muelle: vote: tag nosuchtag is not in {}/vote: push it first (`muelle push --env lab`)",
                lab.registry()
            ),
        ),
    ] {
        let output = muelle(lab, args);
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.trim(), expected);
    }
    assert_eq!(
        app::history(lab).len(),
        before,
        "a refused command wrote the history"
    );
}

//! Every query of the Grafana dashboard parses and returns data against a
//! real Prometheus that scrapes the real vote, worker and result binaries
//! and a real node-exporter. What only cAdvisor would give here comes from
//! a recorded sample in its exposition format, loaded as blocks with
//! `promtool tsdb create-blocks-from openmetrics`.

use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use testkit::{NodeExporter, Prometheus};
use tokio::process::{Child, Command};

/// How often the test Prometheus scrapes and evaluates, so that rates have
/// two samples within seconds.
const SCRAPE_INTERVAL: &str = "1s";

/// What `$__rate_interval` stands for here. Grafana derives it from the
/// scrape interval and the time range; the recorded cAdvisor samples stay
/// inside this window for the whole test.
const RATE_INTERVAL: &str = "5m";

/// How long the queries may take to all return data once the targets are up.
const DATA_DEADLINE: Duration = Duration::from_secs(60);

/// One of the app's binaries, killed when dropped.
struct Service {
    _child: Child,
    port: u16,
}

impl Service {
    async fn start(name: &str, env: &[(&str, String)]) -> Service {
        let port = testkit::free_port();
        let mut command = Command::new(testkit::bins_dir().join(name));
        command
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        testkit::die_with_test(&mut command);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        let service = Service {
            _child: child,
            port,
        };
        testkit::eventually(
            &format!("{name} to be healthy"),
            testkit::DEFAULT_DEADLINE,
            || async {
                let health = reqwest::get(service.url("/healthz")).await.ok()?;
                health.status().is_success().then_some(())
            },
        )
        .await;
        service
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

#[tokio::test]
async fn every_dashboard_query_returns_data_from_the_real_services() {
    let bins = testkit::bins_dir();
    tokio::task::spawn_blocking(move || testkit::build_services(&bins))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("building the services: {e}"));
    let (redis, postgres) = tokio::join!(testkit::Redis::start(), testkit::Postgres::start());
    let vote = Service::start("vote", &[("REDIS_URL", redis.url())]).await;
    let worker = Service::start(
        "worker",
        &[
            ("REDIS_URL", redis.url()),
            ("DATABASE_URL", postgres.url()),
            ("WORKER_ID", "monitoring".into()),
        ],
    )
    .await;
    let result = Service::start("result", &[("DATABASE_URL", postgres.url())]).await;
    let node = NodeExporter::start().await;

    // Traffic as people make it: the page, votes, a bad vote, the results
    // page and a live stream that stays open.
    let http = reqwest::Client::new();
    assert!(
        http.get(vote.url("/"))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    for (n, body) in ["vote=a", "vote=b", "vote=a", "vote=z"].iter().enumerate() {
        let response = http
            .post(vote.url("/"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("voter_id=feed{n}"))
            .body(*body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().is_success(), *body != "vote=z", "{body}");
    }
    let _events = http.get(result.url("/events")).send().await.unwrap();
    assert!(
        http.get(result.url("/"))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );

    let recorded = std::fs::read_to_string(monitoring::dir().join("testdata/cadvisor.om")).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let backfill = monitoring::shift_openmetrics(&recorded, now - 1.0);
    let config = config(
        &[("vote", &vote), ("worker", &worker), ("result", &result)],
        &node,
    );
    let prometheus = Prometheus::start(&config, Some(&backfill)).await;

    wait_targets_up(&prometheus).await;
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(monitoring::dir().join("grafana/voting.json")).unwrap(),
    )
    .unwrap();
    let queries = monitoring::dashboard_queries(&dashboard, RATE_INTERVAL);
    assert!(
        queries.len() > 10,
        "the dashboard has only {} queries",
        queries.len()
    );
    let started = std::time::Instant::now();
    loop {
        let mut failing = Vec::new();
        for query in &queries {
            match prometheus.query(&query.expr).await {
                Ok(series) if !series.is_empty() => {}
                Ok(_) => failing.push(format!("{}: no data for {}", query.title, query.expr)),
                Err(e) => failing.push(format!("{}: {e} in {}", query.title, query.expr)),
            }
        }
        if failing.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < DATA_DEADLINE,
            "panels without data after {DATA_DEADLINE:?}:\n{}",
            failing.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_rules_evaluate(&prometheus).await;
}

/// The static-target variant of prometheus.yml's scrape jobs: the same
/// job names and target labels (service, node) that Swarm discovery gives,
/// with the rules of alerts.yml.
fn config(services: &[(&str, &Service)], node: &NodeExporter) -> String {
    let mut jobs = String::new();
    for (name, service) in services {
        jobs.push_str(&format!(
            "  - job_name: {name}\n    static_configs:\n      - targets: ['{}']\n        labels: {{service: voting_{name}, node: local}}\n",
            service.target()
        ));
    }
    jobs.push_str(&format!(
        "  - job_name: node\n    metrics_path: {}\n    static_configs:\n      - targets: ['{}']\n        labels: {{node: local}}\n",
        node.metrics_path(),
        node.target()
    ));
    format!(
        "global:\n  scrape_interval: {SCRAPE_INTERVAL}\n  evaluation_interval: {SCRAPE_INTERVAL}\nrule_files:\n  - {}\nscrape_configs:\n{jobs}",
        monitoring::dir().join("alerts.yml").display()
    )
}

async fn wait_targets_up(prometheus: &Prometheus) {
    testkit::eventually(
        "every target to be up",
        testkit::DEFAULT_DEADLINE,
        || async {
            let targets = prometheus.api("/api/v1/targets").await;
            let active = targets["data"]["activeTargets"].as_array()?.clone();
            (active.len() == 4 && active.iter().all(|t| t["health"] == "up")).then_some(())
        },
    )
    .await;
}

/// Every alert rule evaluates against the real series without an error.
async fn assert_rules_evaluate(prometheus: &Prometheus) {
    testkit::eventually(
        "every rule to have been evaluated",
        testkit::DEFAULT_DEADLINE,
        || async {
            let rules = prometheus.api("/api/v1/rules").await;
            let rules: Vec<serde_json::Value> = rules["data"]["groups"]
                .as_array()?
                .iter()
                .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
                .collect();
            let bad: Vec<String> = rules
                .iter()
                .filter(|r| r["health"] != "ok")
                .map(|r| format!("{}: {} {}", r["name"], r["health"], r["lastError"]))
                .collect();
            assert!(
                bad.iter().all(|b| b.contains("unknown")),
                "rules failing on real data: {bad:#?}"
            );
            (!rules.is_empty() && bad.is_empty()).then_some(())
        },
    )
    .await;
}

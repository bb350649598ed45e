//! The monitoring stack on the lab beside the app, deployed as a user
//! would (`muelle deploy --env lab --stack monitoring`): Prometheus finds
//! the app's tasks and the nodes through Swarm discovery alone, with every
//! expected series; scaling vote from 2 to 3 adds a target by itself; and
//! a worker service stopped while votes arrive raises QueueGrowing, which
//! Alertmanager delivers to a webhook receiver on the host and `muelle
//! status` shows, and which resolves once the workers are back, with no
//! acknowledged vote lost.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use testkit::Lab;

use crate::app::{self, wait_for};

/// The monitoring stack's namespace (`[stacks.monitoring]`).
const MONITORING: &str = "monitoring";

/// Scrapes are 15 s apart: a few of them, and Swarm placing tasks.
const DISCOVERY: Duration = Duration::from_secs(150);

/// QueueGrowing: a 2-minute rule that needs 2 minutes of growth, then
/// Alertmanager's group wait.
const ALERT: Duration = Duration::from_secs(330);

/// The series each job must have, one metric each (a job's `up` says it is
/// scraped; these say the exporter reads what it exports).
const EXPECTED: [(&str, &str); 9] = [
    ("vote", "http_requests_total"),
    ("worker", "worker_queue_depth"),
    ("result", "result_tally_drift_votes"),
    ("node", "node_cpu_seconds_total"),
    ("docker-engine", "engine_daemon_engine_info"),
    ("redis", "redis_key_size"),
    ("postgres", "pg_up"),
    ("alertmanager", "alertmanager_build_info"),
    ("prometheus", "prometheus_build_info"),
];

pub fn discovers_scales_and_delivers_an_alert(lab: &Lab) {
    let receiver = Receiver::start(&gateway(lab));
    let deploy = lab
        .muelle(&["deploy", "--env", "lab", "--stack", MONITORING])
        .env("ALERT_WEBHOOK_URL", &receiver.url)
        .env("ALERT_GROUP_WAIT", "5s")
        .env("ALERT_GROUP_INTERVAL", "10s")
        .output()
        .expect("run muelle deploy");
    let (stdout, stderr) = app::texts(&deploy);
    assert!(
        deploy.status.success(),
        "muelle deploy --stack monitoring failed:\n{stderr}\n{stdout}"
    );
    let prometheus = Prometheus {
        url: format!("http://{}:9090", lab.field("/nodes/0/address")),
    };

    let targets = wait_for("every job discovered and up", DISCOVERY, || {
        let targets = prometheus.targets()?;
        let wanted = [
            ("vote", 2),
            ("worker", 2),
            ("result", 2),
            ("node", 3),
            ("docker-engine", 3),
            ("redis", 1),
            ("postgres", 1),
            ("alertmanager", 1),
        ];
        let short: Vec<String> = wanted
            .iter()
            .filter(|(job, n)| targets.get(*job).copied().unwrap_or_default() != *n)
            .map(|(job, n)| {
                format!(
                    "{job} {}/{n}",
                    targets.get(*job).copied().unwrap_or_default()
                )
            })
            .collect();
        if short.is_empty() {
            Ok(targets)
        } else {
            Err(format!("up targets short: {}", short.join(", ")))
        }
    });
    eprintln!("targets up by job: {targets:?}");
    for (job, metric) in EXPECTED {
        wait_for(
            &format!("{metric} of job {job}"),
            DISCOVERY,
            || match prometheus.query(&format!("count({metric}{{job=\"{job}\"}})"))? {
                n if n > 0.0 => Ok(()),
                _ => Err("no series".into()),
            },
        );
    }

    lab.docker_ok(&[
        "service",
        "scale",
        "--detach",
        &format!("{}=3", app::full("vote")),
    ]);
    let vote_back = Scale(lab, "vote", 2);
    wait_for("a third vote target, up", DISCOVERY, || {
        match prometheus.targets()?.get("vote").copied() {
            Some(3) => Ok(()),
            other => Err(format!("vote targets up: {other:?}")),
        }
    });
    drop(vote_back);

    let voting = app::Voting::start(lab, 40.0);
    voting.wait_for(50);
    lab.docker_ok(&[
        "service",
        "scale",
        "--detach",
        &format!("{}=0", app::full("worker")),
    ]);
    let workers = Scale(lab, "worker", 2);
    let firing = wait_for("QueueGrowing delivered to the receiver", ALERT, || {
        receiver
            .delivered("QueueGrowing", "firing")
            .ok_or_else(|| format!("received {} notifications", receiver.count()))
    });
    assert_eq!(firing["labels"]["job"], "redis", "{firing}");
    assert_eq!(
        firing["annotations"]["summary"], "The vote queue has grown for 2 minutes",
        "{firing}"
    );
    let status = app::muelle_ok(lab, &["status", "--env", "lab"]);
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("! QueueGrowing [warning]")),
        "muelle status does not show the alert:\n{status}"
    );

    drop(workers);
    wait_for("QueueGrowing resolved at the receiver", ALERT, || {
        receiver
            .delivered("QueueGrowing", "resolved")
            .map(|_| ())
            .ok_or_else(|| format!("received {} notifications", receiver.count()))
    });
    let report = voting.finish();
    assert_eq!(report.error_count(), 0, "{:?}", report.error_messages);
    app::assert_all_stored(lab, &report.acknowledged_voters);
}

/// The host's address on the lab network, which the nodes' containers reach.
fn gateway(lab: &Lab) -> String {
    let out = app::host_docker(
        &[
            "network",
            "inspect",
            &lab.name,
            "--format",
            "{{(index .IPAM.Config 0).Gateway}}",
        ],
        None,
    );
    out.trim().to_owned()
}

/// Scales a service of the app back to `replicas` when dropped (also when
/// the scenario fails), and waits until it is there.
struct Scale<'a>(&'a Lab, &'static str, usize);

impl Drop for Scale<'_> {
    fn drop(&mut self) {
        let Scale(lab, service, replicas) = *self;
        let scaled = lab
            .docker(&[
                "service",
                "scale",
                &format!("{}={replicas}", app::full(service)),
            ])
            .output();
        if !scaled.is_ok_and(|o| o.status.success()) {
            eprintln!("could not scale {service} back to {replicas}");
        }
    }
}

/// The lab's Prometheus, asked over its HTTP API.
struct Prometheus {
    url: String,
}

impl Prometheus {
    /// Active targets that are up, counted by job.
    fn targets(&self) -> Result<BTreeMap<String, usize>, String> {
        let answer = self.get("/api/v1/targets?state=active")?;
        let mut up = BTreeMap::new();
        for target in answer["data"]["activeTargets"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if target["health"] == "up" {
                let job = target["labels"]["job"].as_str().unwrap_or_default();
                *up.entry(job.to_owned()).or_default() += 1;
            }
        }
        Ok(up)
    }

    /// The value of a query that gives one number (0 when it gives none).
    fn query(&self, promql: &str) -> Result<f64, String> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/query", self.url),
            [("query", promql)],
        )
        .map_err(|e| e.to_string())?;
        let answer = self.get(&url.as_str()[self.url.len()..])?;
        let value = &answer["data"]["result"][0]["value"][1];
        Ok(value.as_str().and_then(|v| v.parse().ok()).unwrap_or(0.0))
    }

    fn get(&self, path: &str) -> Result<Value, String> {
        let url = format!("{}{path}", self.url);
        app::block_on(async {
            let response = reqwest::get(&url)
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            response
                .json::<Value>()
                .await
                .map_err(|e| format!("{url}: {e}"))
        })
    }
}

/// A webhook receiver on the host, as Alertmanager's webhook_configs post
/// to it: every notification's body, kept.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Value>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Receiver {
    /// Listens on a free port of `address`.
    fn start(address: &str) -> Receiver {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let received: Arc<Mutex<Vec<Value>>> = Arc::default();
        let kept = received.clone();
        let app = axum::Router::new().route(
            "/alerts",
            axum::routing::post(move |axum::Json(body): axum::Json<Value>| async move {
                kept.lock().expect("not poisoned").push(body);
            }),
        );
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(format!("{address}:0")))
            .expect("bind the receiver on the lab network's gateway");
        let port = listener.local_addr().expect("its address").port();
        runtime.spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url: format!("http://{address}:{port}/alerts"),
            received,
            _runtime: runtime,
        }
    }

    /// Notifications received so far.
    fn count(&self) -> usize {
        self.received.lock().expect("not poisoned").len()
    }

    /// The first alert named `name` delivered with `status` (`firing`,
    /// `resolved`).
    fn delivered(&self, name: &str, status: &str) -> Option<Value> {
        let received = self.received.lock().expect("not poisoned");
        received
            .iter()
            .flat_map(|n| n["alerts"].as_array().cloned().unwrap_or_default())
            .find(|a| a["labels"]["alertname"] == name && a["status"] == status)
    }
}

//! Unit tests of reading Alertmanager's answer (API v2, as
//! `GET /api/v2/alerts` gives it); the cluster scenarios ask a real one.

use super::*;

/// Two alerts as Alertmanager 0.25 answers them, newest first.
const ANSWER: &str = r#"[
  {"annotations": {"description": "Start a worker.", "summary": "No worker is up"},
   "endsAt": "2026-12-02T08:14:00.000Z", "fingerprint": "b1",
   "receivers": [{"name": "webhook"}], "startsAt": "2026-12-02T08:10:30.000Z",
   "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"},
   "updatedAt": "2026-12-02T08:10:45.000Z", "generatorURL": "http://p:9090/graph",
   "labels": {"alertname": "NoWorkerUp", "severity": "critical"}},
  {"annotations": {"summary": "The vote queue has grown for 2 minutes"},
   "endsAt": "2026-12-02T08:14:00.000Z", "fingerprint": "a1",
   "receivers": [{"name": "webhook"}], "startsAt": "2026-12-02T08:09:00.000Z",
   "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"},
   "updatedAt": "2026-12-02T08:10:45.000Z", "generatorURL": "http://p:9090/graph",
   "labels": {"alertname": "QueueGrowing", "job": "redis", "severity": "warning"}}
]"#;

#[test]
fn an_answer_becomes_alerts_oldest_first() {
    let alerts = parse(ANSWER.as_bytes()).unwrap();
    let names: Vec<&str> = alerts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["QueueGrowing", "NoWorkerUp"]);
    let queue = &alerts[0];
    assert_eq!(queue.severity, "warning");
    assert_eq!(queue.summary, "The vote queue has grown for 2 minutes");
    assert_eq!(queue.since, "2026-12-02T08:09:00.000Z");
    assert_eq!(label_text(&queue.labels), "job=redis");
    assert!(alerts[1].labels.is_empty());
}

#[test]
fn no_alert_is_an_empty_list_and_anything_else_is_one_line() {
    assert_eq!(parse(b"[]").unwrap(), []);
    let error = parse(b"<html>proxy error</html>").unwrap_err();
    assert!(
        error.starts_with("its answer is not a list of alerts"),
        "{error}"
    );
    assert!(!error.contains('\n'), "{error}");
}

//! The alerts firing now as text, under the cluster in `muelle status`:
//! one line per alert (name, severity, since when, its labels and its
//! summary), or one line saying there is none, or why they are unknown.

use std::fmt::Write as _;

use crate::swarm::alerts::{Alerts, label_text};
use crate::ui::palette::Palette;

/// Renders the alerts, a heading first.
pub fn render(alerts: &Alerts, palette: Palette) -> String {
    let mut out = String::new();
    let heading = palette.strong("alerts");
    match alerts {
        Alerts::NoAlertmanager => {
            let _ = writeln!(
                out,
                "{heading} {}",
                palette.dim("(no Alertmanager: muelle deploy --stack monitoring)")
            );
        }
        Alerts::Unknown { url, reason } => {
            let at = url
                .as_deref()
                .map(|u| format!(" at {u}"))
                .unwrap_or_default();
            let _ = writeln!(out, "{heading}");
            let _ = writeln!(
                out,
                "{}",
                palette.busy(&format!("? unknown: the Alertmanager{at}: {reason}"))
            );
        }
        Alerts::Firing { url, alerts } => {
            let _ = writeln!(out, "{heading} {}", palette.dim(&format!("({url})")));
            if alerts.is_empty() {
                let _ = writeln!(out, "{}", palette.good("  none firing"));
            }
            for alert in alerts {
                let severity = if alert.severity.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", alert.severity)
                };
                let labels = label_text(&alert.labels);
                let labels = if labels.is_empty() {
                    String::new()
                } else {
                    format!(" {labels}")
                };
                let _ = writeln!(
                    out,
                    "{} {}{labels}: {}",
                    palette.bad(&format!("! {}{severity}", alert.name)),
                    palette.dim(&format!("since {}", alert.since)),
                    alert.summary
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::swarm::alerts::Alert;

    #[test]
    fn each_state_is_said_in_plain_lines() {
        let plain = Palette::plain();
        let none = render(&Alerts::NoAlertmanager, plain);
        assert_eq!(
            none,
            "alerts (no Alertmanager: muelle deploy --stack monitoring)\n"
        );
        let unknown = Alerts::Unknown {
            url: Some("http://10.0.0.3:9093".into()),
            reason: "no answer (Connection refused (os error 111))".into(),
        };
        assert_eq!(
            render(&unknown, plain),
            "alerts\n? unknown: the Alertmanager at http://10.0.0.3:9093: no answer (Connection refused (os error 111))\n"
        );
        let quiet = Alerts::Firing {
            url: "http://10.0.0.3:9093".into(),
            alerts: Vec::new(),
        };
        assert_eq!(
            render(&quiet, plain),
            "alerts (http://10.0.0.3:9093)\n  none firing\n"
        );
        let firing = Alerts::Firing {
            url: "http://10.0.0.3:9093".into(),
            alerts: vec![Alert {
                name: "QueueGrowing".into(),
                severity: "warning".into(),
                summary: "The vote queue has grown for 2 minutes".into(),
                since: "2026-12-02T08:09:00.000Z".into(),
                labels: BTreeMap::from([("job".into(), "redis".into())]),
            }],
        };
        assert_eq!(
            render(&firing, plain),
            "alerts (http://10.0.0.3:9093)\n! QueueGrowing [warning] since 2026-12-02T08:09:00.000Z job=redis: The vote queue has grown for 2 minutes\n"
        );
    }
}

//! The pieces the checks of `deploy/monitoring/` need that no tool gives:
//! reading the dashboard's queries, rendering the Swarm config template of
//! Alertmanager, moving a recorded sample to now, and finding alert rules
//! without unit tests. The checks themselves (real promtool, amtool and
//! Prometheus) are this crate's integration tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

/// Why a file of `deploy/monitoring/` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `{{ env "NAME" }}` names a variable without a value.
    #[error("the template needs the variable {0}, which has no value")]
    MissingVariable(String),
    /// A `{{` that is not one of the forms Swarm's templates are used in here.
    #[error("unsupported template expression {0:?}: only {{{{ env \"NAME\" }}}} is used")]
    Unsupported(String),
    /// A YAML file did not parse.
    #[error("{file}: {source}")]
    Yaml {
        /// The file.
        file: String,
        /// What was wrong.
        #[source]
        source: serde_yaml_ng::Error,
    },
}

/// `deploy/monitoring/` of this repository.
pub fn dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/monitoring"
    ))
}

/// Renders the `{{ env "NAME" }}` expressions of a Swarm config template
/// (`template_driver: golang`) the way Docker does when a task starts, with
/// the service's environment given by `env`.
pub fn render_env_template(template: &str, env: &BTreeMap<&str, &str>) -> Result<String, Error> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .ok_or_else(|| Error::Unsupported(rest[start..].to_owned()))?;
        let expr = rest[start + 2..start + end].trim();
        let name = expr
            .strip_prefix("env ")
            .map(|n| n.trim().trim_matches('"'))
            .filter(|n| !n.is_empty() && !n.contains(char::is_whitespace))
            .ok_or_else(|| Error::Unsupported(expr.to_owned()))?;
        let value = env
            .get(name)
            .ok_or_else(|| Error::MissingVariable(name.to_owned()))?;
        out.push_str(value);
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// One PromQL expression of the dashboard, with where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The panel's title (or the annotation's name).
    pub title: String,
    /// The expression as Grafana sends it, `$__rate_interval` replaced.
    pub expr: String,
}

/// Every PromQL expression of a Grafana dashboard: each panel's targets and
/// each Prometheus annotation. `$__rate_interval` becomes `rate_interval`,
/// as Grafana makes it from the scrape interval.
pub fn dashboard_queries(dashboard: &Value, rate_interval: &str) -> Vec<Query> {
    let mut queries = Vec::new();
    panel_queries(&dashboard["panels"], rate_interval, &mut queries);
    for annotation in dashboard["annotations"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(expr) = annotation["expr"].as_str() {
            let name = format!("annotation {}", annotation["name"].as_str().unwrap_or("?"));
            queries.push(query(&name, expr, rate_interval));
        }
    }
    queries
}

/// The queries of `panels` in order, including those of collapsed rows.
fn panel_queries(panels: &Value, rate_interval: &str, queries: &mut Vec<Query>) {
    for panel in panels.as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = target["expr"].as_str() {
                queries.push(query(
                    panel["title"].as_str().unwrap_or("?"),
                    expr,
                    rate_interval,
                ));
            }
        }
        panel_queries(&panel["panels"], rate_interval, queries);
    }
}

fn query(title: &str, expr: &str, rate_interval: &str) -> Query {
    Query {
        title: title.to_owned(),
        expr: expr.replace("$__rate_interval", rate_interval),
    }
}

/// Moves every sample of an OpenMetrics text (each sample line ends with
/// its timestamp in seconds) so that the newest lands at `end` (Unix
/// seconds), keeping the spacing, so a recording made once can be loaded
/// as recent data.
pub fn shift_openmetrics(text: &str, end: f64) -> String {
    let stamp = |line: &str| -> Option<f64> {
        if line.starts_with('#') {
            return None;
        }
        line.rsplit(' ').next()?.parse().ok()
    };
    let newest = text.lines().filter_map(stamp).fold(f64::MIN, f64::max);
    let shift = end - newest;
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        match stamp(line) {
            Some(at) => {
                let (sample, _) = line.rsplit_once(' ').expect("a stamped line has a space");
                out.push_str(&format!("{sample} {:.3}\n", at + shift));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// For each alert of a rules file, whether the promtool test file has a
/// case that expects it to fire and one that expects it quiet; returns the
/// alerts lacking either, with what they lack.
pub fn untested_alerts(rules: &str, tests: &str) -> Result<Vec<String>, Error> {
    let yaml = |file: &str, text: &str| -> Result<serde_yaml_ng::Value, Error> {
        serde_yaml_ng::from_str(text).map_err(|source| Error::Yaml {
            file: file.to_owned(),
            source,
        })
    };
    let rules = yaml("alerts.yml", rules)?;
    let tests = yaml("alerts.test.yml", tests)?;
    let alerts: BTreeSet<&str> = rules["groups"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|group| group["rules"].as_sequence().into_iter().flatten())
        .filter_map(|rule| rule["alert"].as_str())
        .collect();
    let (mut fired, mut quiet) = (BTreeSet::new(), BTreeSet::new());
    for case in tests["tests"].as_sequence().into_iter().flatten() {
        for check in case["alert_rule_test"].as_sequence().into_iter().flatten() {
            let Some(name) = check["alertname"].as_str() else {
                continue;
            };
            let expects_any = check["exp_alerts"]
                .as_sequence()
                .is_some_and(|alerts| !alerts.is_empty());
            if expects_any {
                fired.insert(name);
            } else {
                quiet.insert(name);
            }
        }
    }
    Ok(alerts
        .into_iter()
        .filter_map(|alert| {
            let lacks: Vec<&str> = [
                (!fired.contains(alert)).then_some("a case that fires it"),
                (!quiet.contains(alert)).then_some("a case that keeps it quiet"),
            ]
            .into_iter()
            .flatten()
            .collect();
            (!lacks.is_empty()).then(|| format!("{alert} lacks {}", lacks.join(" and ")))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_templates_are_rendered_and_missing_variables_named() {
        let env = BTreeMap::from([("URL", "http://x/")]);
        assert_eq!(
            render_env_template("url: '{{ env \"URL\" }}' # {{env \"URL\"}}", &env).unwrap(),
            "url: 'http://x/' # http://x/"
        );
        let missing = render_env_template("{{ env \"NOPE\" }}", &env).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "the template needs the variable NOPE, which has no value"
        );
        assert!(matches!(
            render_env_template("{{ .Service.Name }}", &env),
            Err(Error::Unsupported(_))
        ));
    }

    #[test]
    fn dashboard_queries_cover_panels_rows_and_annotations() {
        let dashboard = serde_json::json!({
            "panels": [
                {"title": "A", "targets": [{"expr": "rate(x[$__rate_interval])"}]},
                {"type": "row", "title": "R", "panels": [{"title": "B", "targets": [{"expr": "y"}]}]}
            ],
            "annotations": {"list": [{"name": "Deploys", "expr": "z"}, {"name": "builtin"}]}
        });
        let queries = dashboard_queries(&dashboard, "1m");
        let got: Vec<(&str, &str)> = queries
            .iter()
            .map(|q| (q.title.as_str(), q.expr.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("A", "rate(x[1m])"),
                ("B", "y"),
                ("annotation Deploys", "z")
            ]
        );
    }

    #[test]
    fn openmetrics_samples_move_to_end_at_the_given_time() {
        let text = "# TYPE a gauge\na{x=\"1 2\"} 5 100\na 6 115\n# EOF\n";
        assert_eq!(
            shift_openmetrics(text, 1000.0),
            "# TYPE a gauge\na{x=\"1 2\"} 5 985.000\na 6 1000.000\n# EOF\n"
        );
    }

    #[test]
    fn alerts_without_a_firing_or_a_quiet_case_are_named() {
        let rules = "groups: [{name: g, rules: [{alert: A, expr: x}, {alert: B, expr: y}]}]";
        let tests = "tests: [{alert_rule_test: [{alertname: A, exp_alerts: [{exp_labels: {}}]}, {alertname: A, exp_alerts: []}, {alertname: B, exp_alerts: [{exp_labels: {}}]}]}]";
        assert_eq!(
            untested_alerts(rules, tests).unwrap(),
            ["B lacks a case that keeps it quiet"]
        );
    }
}

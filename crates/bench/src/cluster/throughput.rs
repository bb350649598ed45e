//! vote's throughput through the HTTPS ingress and served directly, by the
//! same load generator from the same place: loadgen packaged onto vote's
//! own image with pebble's root, run as a Swarm job on the stack's `edge`
//! network, once against `http://tasks.vote:8080/` and once against
//! `https://<domain>/` connected to the ingress task. vote runs one replica
//! meanwhile, so both loads reach the same task.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::lab::Lab;
use crate::Error;
use crate::command::host_docker;
use crate::failures::Failures;
use crate::limits::CLIENTS;

/// One load's figures, as loadgen's JSON gave them.
#[derive(Debug, Clone)]
pub struct JobRun {
    /// Votes acknowledged per second.
    pub throughput: f64,
    /// Failed requests by kind.
    pub failures: Failures,
}

/// How long a job may take beyond its load before the benchmark gives up.
const JOB_SLACK: Duration = Duration::from_secs(120);

/// Builds loadgen's image on the host (vote's image, the loadgen binary
/// and pebble's root) and pushes it to the lab registry; returns its name.
pub async fn image(lab: &Lab, vote_image: &str, loadgen: &Path) -> Result<String, Error> {
    let context = tempfile_dir()?;
    let io = |what: &str| {
        let what = what.to_owned();
        move |source| Error::Io { what, source }
    };
    std::fs::copy(loadgen, context.join("loadgen")).map_err(io("copying loadgen"))?;
    std::fs::copy(lab.field("/pebble/root_file")?, context.join("root.pem"))
        .map_err(io("copying pebble's root"))?;
    std::fs::write(
        context.join("Dockerfile"),
        format!(
            "FROM {vote_image}\nCOPY loadgen /usr/local/bin/loadgen\nCOPY root.pem /etc/pebble-root.pem\n\
             ENTRYPOINT [\"/usr/local/bin/loadgen\"]\n"
        ),
    )
    .map_err(io("writing loadgen's Dockerfile"))?;
    let image = format!("{}/bench-loadgen:latest", lab.field("/registry")?);
    let built = host_docker(
        &["build", "-q", "-t", &image, &context.display().to_string()],
        None,
    )
    .await;
    let _ = std::fs::remove_dir_all(&context);
    built?;
    let pushed = host_docker(&["push", "-q", &image], None).await;
    // The nodes pull it from the lab registry; the host needs no copy.
    let _ = host_docker(&["rmi", &image], None).await;
    pushed?;
    Ok(image)
}

/// Votes at full pace from inside the swarm, directly and through the
/// ingress, one after the other.
pub async fn run(
    lab: &Lab,
    image: &str,
    warmup: Duration,
    duration: Duration,
) -> Result<(JobRun, JobRun), Error> {
    let domain = lab.field("/domain")?;
    let direct = job(
        lab,
        image,
        "direct",
        &["http://tasks.vote:8080/"],
        warmup,
        duration,
    )
    .await?;
    let ingress_url = format!("https://{domain}/");
    let connect_to = format!("{domain}:443:tasks.ingress:443");
    let ingress = job(
        lab,
        image,
        "ingress",
        &[
            &ingress_url,
            "--ca",
            "/etc/pebble-root.pem",
            "--connect-to",
            &connect_to,
        ],
        warmup,
        duration,
    )
    .await?;
    Ok((direct, ingress))
}

/// Runs loadgen as a job on a worker, on the edge network, and reads its report.
async fn job(
    lab: &Lab,
    image: &str,
    what: &str,
    target: &[&str],
    warmup: Duration,
    duration: Duration,
) -> Result<JobRun, Error> {
    let name = format!("bench-loadgen-{what}");
    let _ = lab.docker(&["service", "rm", &name]).await;
    let (warmup_arg, duration_arg, clients) = (
        format!("{}ms", warmup.as_millis()),
        format!("{}ms", duration.as_millis()),
        CLIENTS.to_string(),
    );
    let mut args = vec![
        "service",
        "create",
        "--detach",
        "--quiet",
        "--name",
        &name,
        "--mode",
        "replicated-job",
        "--restart-condition",
        "none",
        "--network",
        "voting_edge",
        "--constraint",
        "node.role==worker",
        image,
        "--json",
        "vote",
    ];
    args.extend_from_slice(target);
    args.extend(["-c", &clients, "--warmup", &warmup_arg, "-d", &duration_arg]);
    lab.docker(&args).await?;
    let outcome = finished(lab, &name, warmup + duration + JOB_SLACK).await;
    let logs = lab
        .docker(&["service", "logs", "--raw", &name])
        .await
        .unwrap_or_default();
    let _ = lab.docker(&["service", "rm", &name]).await;
    outcome?;
    parse(&logs).ok_or_else(|| Error::Tool {
        tool: "loadgen",
        reason: format!("no JSON report from the {what} job: {logs}"),
    })
}

/// Waits until the job's task completed; a failed task is an error.
async fn finished(lab: &Lab, name: &str, within: Duration) -> Result<(), Error> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let states = lab
            .docker(&[
                "service",
                "ps",
                name,
                "--format",
                "{{.CurrentState}}|{{.Error}}",
            ])
            .await?;
        let state = states.lines().next().unwrap_or_default();
        if state.starts_with("Complete") {
            return Ok(());
        }
        if state.starts_with("Failed") || state.starts_with("Rejected") {
            return Err(Error::Tool {
                tool: "loadgen",
                reason: format!("job {name}: {state}"),
            });
        }
        if tokio::time::Instant::now() > deadline {
            return Err(Error::Stalled("a loadgen job in the lab did not finish"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The JSON object in loadgen's log.
fn parse(logs: &str) -> Option<JobRun> {
    let (start, end) = (logs.find('{')?, logs.rfind('}')?);
    let report: Value = serde_json::from_str(logs.get(start..=end)?).ok()?;
    let mut failures = Failures::none();
    for (kind, count) in report["errors"].as_object()? {
        failures.add(&format!("request {kind}"), count.as_u64().unwrap_or(0));
    }
    Some(JobRun {
        throughput: report["throughput"].as_f64()?,
        failures,
    })
}

/// A fresh directory for a build context.
fn tempfile_dir() -> Result<std::path::PathBuf, Error> {
    let dir = std::env::temp_dir().join(format!("bench-loadgen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        what: format!("creating {}", dir.display()),
        source,
    })?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn the_report_is_read_out_of_the_log_and_errors_become_failures() {
        let logs = "some line\n{\"throughput\": 1234.5, \"errors\": {\"timeout\": 2}}\n";
        let run = parse(logs).expect("a report");
        assert_eq!(run.throughput, 1234.5);
        assert_eq!(run.failures.show(), "2 (request timeout 2)");
        assert!(parse("no report").is_none());
    }
}

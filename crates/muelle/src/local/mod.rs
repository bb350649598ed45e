//! The local environment: observe what Docker has for the project, plan,
//! and apply the plan with progress. `up`, `down`, `reset` and `--watch`
//! all go through here.

pub mod plan;
pub mod spec;
pub mod watch;

pub use crate::error::local::Error;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

use bollard::Docker;

use crate::engine::{self, containers, containers::Readiness, networks, volumes};
use crate::error::Result;
use crate::error::local::Error as LocalError;
use crate::project::compose::ComposeFile;
use crate::project::{self, CONFIG_HASH_LABEL, Project, SERVICE_LABEL};
use crate::ui::progress::Progress;
use plan::{Existing, Observed, Plan, Step};
use spec::ContainerSpec;

/// How long a service may take to become healthy; PostgreSQL's first start
/// (initdb) is the slowest thing here.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(180);
/// Time between looks at a starting container.
const HEALTH_POLL: Duration = Duration::from_millis(250);

/// What Docker has for the project now.
pub async fn observe(docker: &Docker, project: &Project) -> Result<Observed> {
    let filter = project.filter();
    let mut observed = Observed::default();
    for c in containers::list(docker, &filter).await? {
        let existing = Existing {
            service: c.labels.get(SERVICE_LABEL).cloned().unwrap_or_default(),
            running: c.state == "running",
            hash: c.labels.get(CONFIG_HASH_LABEL).cloned(),
        };
        observed.containers.insert(c.name, existing);
    }
    observed.networks = networks::names(docker, &filter)
        .await?
        .into_iter()
        .collect();
    observed.volumes = volumes::names(docker, &filter).await?.into_iter().collect();
    Ok(observed)
}

/// Computes the up plan for `services` with their image ids.
pub fn plan_up(
    project: &Project,
    compose: &ComposeFile,
    services: &[String],
    images: &BTreeMap<String, String>,
    observed: &Observed,
) -> Result<(Plan, BTreeMap<String, ContainerSpec>)> {
    let compose_error = |message: String| project::Error::Compose {
        path: project.compose_path().to_owned(),
        problem: message,
    };
    let mut specs = BTreeMap::new();
    for service in services {
        let id = images.get(service).map(String::as_str).unwrap_or_default();
        let spec = spec::container(project, compose, service, id).map_err(compose_error)?;
        specs.insert(service.clone(), spec);
    }
    let levels = project::levels(compose, services).map_err(compose_error)?;
    let leveled: Vec<Vec<&ContainerSpec>> = levels
        .iter()
        .map(|l| l.iter().map(|s| &specs[s]).collect())
        .collect();
    let external: BTreeSet<String> = compose
        .networks
        .iter()
        .filter(|(_, d)| d.as_ref().is_some_and(|d| d.external))
        .map(|(n, _)| n.clone())
        .collect();
    Ok((plan::up(&leveled, &external, observed), specs))
}

/// Applies a plan, showing a line per step.
pub async fn apply(
    docker: &Docker,
    project: &Project,
    plan: &Plan,
    specs: &BTreeMap<String, ContainerSpec>,
    progress: &Progress,
) -> Result<()> {
    let object_labels = |kind: &str, docker_name: &str| -> HashMap<String, String> {
        let mut labels: HashMap<String, String> = project.labels().into_iter().collect();
        let short = docker_name
            .strip_prefix(&format!("{}_", project.name))
            .unwrap_or(docker_name);
        labels.insert(format!("com.docker.compose.{kind}"), short.to_owned());
        labels
    };
    for step in &plan.0 {
        match step {
            Step::CreateNetwork(name) => {
                networks::create(docker, name, object_labels("network", name)).await?
            }
            Step::CreateVolume(name) => {
                volumes::create(docker, name, object_labels("volume", name)).await?
            }
            Step::RemoveNetwork(name) => networks::remove(docker, name).await?,
            Step::Remove { container, .. } => {
                let task = progress.task(format!("stop {container}"));
                let grace = specs
                    .values()
                    .find(|s| &s.name == container)
                    .map_or(spec::DEFAULT_STOP_GRACE_SECS, |s| s.stop_grace_secs);
                containers::stop(docker, container, grace).await?;
                containers::remove(docker, container).await?;
                task.done("removed");
            }
            Step::Create { service, container } => {
                let spec = &specs[service];
                containers::create(docker, container, spec.body.clone(), &spec.networks).await?;
            }
            Step::Start { service, container } => {
                let hint = port_hint(project, service);
                check_ports(&specs[service], &hint)?;
                containers::start(docker, container)
                    .await
                    .map_err(|e| port_error(e, &specs[service], &hint))?;
            }
            Step::Keep { .. } => {}
            Step::Wait(services) => wait_healthy(docker, project, services, progress).await?,
        }
    }
    Ok(())
}

/// What to do about a taken port: set the variable the compose file reads it from.
fn port_hint(project: &Project, service: &str) -> String {
    match project.variables(service, "ports").first() {
        Some(var) => format!("set {var} to a free port"),
        None => format!(
            "publish {service} on another port in {}",
            project.compose_path().display()
        ),
    }
}

/// Fails early, with the port named, when a host port is taken.
fn check_ports(spec: &ContainerSpec, hint: &str) -> Result<()> {
    for p in &spec.published {
        let (Some(port), "tcp") = (p.host_port, p.protocol.as_str()) else {
            continue;
        };
        let ip: Ipv4Addr = p.host_ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
        if let Err(e) = TcpListener::bind((ip, port)) {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                return Err(LocalError::PortInUse {
                    port,
                    service: spec.service.clone(),
                    hint: hint.to_owned(),
                }
                .into());
            }
        }
    }
    Ok(())
}

/// Docker's own "port is already allocated" becomes the same one-line error.
fn port_error(error: engine::Error, spec: &ContainerSpec, hint: &str) -> crate::Error {
    let taken = error.is_port_taken();
    match (taken, spec.published.iter().find_map(|p| p.host_port)) {
        (true, Some(port)) => LocalError::PortInUse {
            port,
            service: spec.service.clone(),
            hint: hint.to_owned(),
        }
        .into(),
        _ => error.into(),
    }
}

/// Waits until every service runs and passes its health check.
pub async fn wait_healthy(
    docker: &Docker,
    project: &Project,
    services: &[String],
    progress: &Progress,
) -> Result<()> {
    let deadline = Instant::now() + HEALTH_TIMEOUT;
    let mut pending: Vec<(String, crate::ui::progress::Task)> = services
        .iter()
        .map(|s| (s.clone(), progress.task(format!("start {s}"))))
        .collect();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (service, task) in pending {
            match containers::readiness(docker, &project.container_name(&service)).await? {
                Readiness::Ready => task.done("healthy"),
                Readiness::Waiting(detail) if Instant::now() < deadline => {
                    task.status(&detail);
                    still.push((service, task));
                }
                Readiness::Waiting(detail) => {
                    task.fail();
                    return Err(LocalError::NotHealthyInTime {
                        service,
                        waited: HEALTH_TIMEOUT,
                        state: detail,
                    }
                    .into());
                }
                Readiness::Failed(detail) => {
                    task.fail();
                    let last = last_log_line(docker, &project.container_name(&service)).await;
                    return Err(LocalError::Failed {
                        service,
                        detail,
                        last_log: (!last.is_empty()).then_some(last),
                    }
                    .into());
                }
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(HEALTH_POLL).await;
        }
    }
    Ok(())
}

async fn last_log_line(docker: &Docker, container: &str) -> String {
    use futures::StreamExt;
    let mut stream = Box::pin(containers::logs(docker, container, false, Some(5)));
    let mut last = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        if let Some(line) = chunk
            .to_string()
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
        {
            last = line.trim().to_owned();
        }
    }
    last
}

/// Builds what `services` need and starts them (with their dependencies);
/// returns the specs, for printing URLs.
pub async fn up(
    docker: &Docker,
    project: &mut Project,
    services: &[String],
    progress: &Progress,
) -> Result<BTreeMap<String, ContainerSpec>> {
    let compose = project.compose()?;
    let services = project::with_dependencies(&compose, services);
    let prepared = crate::image::prepare::prepare(docker, project, &services, progress).await?;
    let compose = project.compose()?;
    let observed = observe(docker, project).await?;
    let (plan, specs) = plan_up(project, &compose, &services, &prepared.ids, &observed)?;
    tracing::debug!(plan = %plan, "up");
    apply(docker, project, &plan, &specs, progress).await?;
    for old in &prepared.replaced {
        crate::engine::images::remove_unused(docker, old).await?;
    }
    Ok(specs)
}

/// Restarts the containers of `services` (a mounted binary was rebuilt)
/// and waits until they are healthy again.
pub async fn restart(
    docker: &Docker,
    project: &Project,
    services: &[String],
    progress: &Progress,
) -> Result<()> {
    for service in services {
        containers::restart(docker, &project.container_name(service)).await?;
    }
    wait_healthy(docker, project, services, progress).await
}

/// Stops and removes the containers of `services`; with `everything`, the
/// project's networks and leftover containers too. Volumes stay.
pub async fn down(
    docker: &Docker,
    project: &Project,
    services: &[String],
    everything: bool,
    progress: &Progress,
) -> Result<Plan> {
    let compose = project.compose()?;
    let observed = observe(docker, project).await?;
    let levels =
        project::levels(&compose, services).map_err(|message| project::Error::Compose {
            path: project.compose_path().to_owned(),
            problem: message,
        })?;
    let plan = plan::down(&levels, &observed, everything);
    apply(docker, project, &plan, &BTreeMap::new(), progress).await?;
    Ok(plan)
}

//! Containers: list, create, inspect, start, stop, remove, inspect health, logs and exec.

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerStateStatusEnum, EndpointSettings,
    ExecConfig, HealthStatusEnum, NetworkConnectRequest,
};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, LogsOptions, RemoveContainerOptions,
    StopContainerOptions,
};
use futures::{Stream, StreamExt};

use super::{Error, Result, failed, is_not_found, label_filter};

/// A container as `ps` and the planner see it.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Its name, without the leading slash.
    pub name: String,
    /// Its labels.
    pub labels: std::collections::HashMap<String, String>,
    /// `running`, `exited`, …
    pub state: String,
    /// Docker's human status, e.g. `Up 3 minutes (healthy)`.
    pub status: String,
    /// The image it was created from.
    pub image: String,
    /// Published ports as `host->container`.
    pub ports: Vec<String>,
}

/// Every container (running or not) carrying all of `labels`.
pub async fn list(docker: &Docker, labels: &[String]) -> Result<Vec<Summary>> {
    let options = ListContainersOptions {
        all: true,
        filters: Some(label_filter(labels)),
        ..Default::default()
    };
    let found = docker
        .list_containers(Some(options))
        .await
        .map_err(failed("list containers"))?;
    Ok(found
        .into_iter()
        .map(|c| {
            let mut ports: Vec<String> = c
                .ports
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| Some(format!("{}->{}", p.public_port?, p.private_port)))
                .collect();
            ports.sort();
            ports.dedup();
            Summary {
                name: c
                    .names
                    .and_then(|n| n.into_iter().next())
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_owned(),
                labels: c.labels.unwrap_or_default(),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                status: c.status.unwrap_or_default(),
                image: c.image.unwrap_or_default(),
                ports,
            }
        })
        .collect())
}

/// Creates a container named `name`, attached to `networks` (name, aliases);
/// API 1.41 takes one network at creation, so the others are connected after.
pub async fn create(
    docker: &Docker,
    name: &str,
    mut body: ContainerCreateBody,
    networks: &[(String, Vec<String>)],
) -> Result<()> {
    let endpoint = |aliases: &Vec<String>| EndpointSettings {
        aliases: Some(aliases.clone()),
        ..Default::default()
    };
    if let Some((first, aliases)) = networks.first() {
        body.networking_config = Some(bollard::models::NetworkingConfig {
            endpoints_config: Some([(first.clone(), endpoint(aliases))].into()),
        });
        let host_config = body.host_config.get_or_insert_with(Default::default);
        host_config.network_mode = Some(first.clone());
    }
    let options = CreateContainerOptions {
        name: Some(name.to_owned()),
        ..Default::default()
    };
    docker
        .create_container(Some(options), body)
        .await
        .map_err(failed(format!("create container {name}")))?;
    for (network, aliases) in networks.iter().skip(1) {
        let request = NetworkConnectRequest {
            container: name.to_owned(),
            endpoint_config: Some(endpoint(aliases)),
        };
        docker
            .connect_network(network, request)
            .await
            .map_err(failed(format!("connect {name} to {network}")))?;
    }
    Ok(())
}

/// Everything the engine knows of a container, `None` when there is none by that name.
pub async fn inspect(docker: &Docker, name: &str) -> Result<Option<ContainerInspectResponse>> {
    match docker.inspect_container(name, None).await {
        Ok(found) => Ok(Some(found)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(failed(format!("inspect {name}"))(e)),
    }
}

/// Starts a created or stopped container.
pub async fn start(docker: &Docker, name: &str) -> Result<()> {
    docker
        .start_container(name, None)
        .await
        .map_err(failed(format!("start {name}")))
}

/// Restarts a container: SIGTERM, SIGKILL after its own stop timeout, start.
pub async fn restart(docker: &Docker, name: &str) -> Result<()> {
    docker
        .restart_container(
            name,
            None::<bollard::query_parameters::RestartContainerOptions>,
        )
        .await
        .map_err(failed(format!("restart {name}")))
}

/// Stops a container with SIGTERM, then SIGKILL after `grace_secs`.
pub async fn stop(docker: &Docker, name: &str, grace_secs: i32) -> Result<()> {
    let options = StopContainerOptions {
        t: Some(grace_secs),
        signal: None,
    };
    match docker.stop_container(name, Some(options)).await {
        Err(e) if is_not_found(&e) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 304, ..
        }) => Ok(()),
        other => other.map_err(failed(format!("stop {name}"))),
    }
}

/// Removes a container (and its anonymous volumes, as compose does); gone is fine.
pub async fn remove(docker: &Docker, name: &str) -> Result<()> {
    let options = RemoveContainerOptions {
        force: true,
        v: true,
        link: false,
    };
    match docker.remove_container(name, Some(options)).await {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other.map_err(failed(format!("remove container {name}"))),
    }
}

/// Where a container is on its way to serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Running, and healthy if it has a health check.
    Ready,
    /// Starting, or running with its health check not yet passing.
    Waiting(String),
    /// Exited, dead, restarting in a loop, or unhealthy: the detail says why.
    Failed(String),
}

/// Restarts after which a crashing container counts as failed, not starting.
const MAX_RESTARTS_WHILE_WAITING: i64 = 2;

/// Looks at a container's state and health once.
pub async fn readiness(docker: &Docker, name: &str) -> Result<Readiness> {
    let inspect = docker
        .inspect_container(name, None)
        .await
        .map_err(failed(format!("inspect {name}")))?;
    let state = inspect.state.unwrap_or_default();
    let restarts = inspect.restart_count.unwrap_or(0);
    let status = state.status.unwrap_or(ContainerStateStatusEnum::EMPTY);
    let exit = state.exit_code.unwrap_or(0);
    match status {
        ContainerStateStatusEnum::RUNNING => {}
        ContainerStateStatusEnum::EXITED | ContainerStateStatusEnum::DEAD => {
            return Ok(Readiness::Failed(format!("it exited with code {exit}")));
        }
        ContainerStateStatusEnum::RESTARTING if restarts > MAX_RESTARTS_WHILE_WAITING => {
            return Ok(Readiness::Failed(format!(
                "it keeps exiting (code {exit}, {restarts} restarts)"
            )));
        }
        other => return Ok(Readiness::Waiting(other.to_string())),
    }
    let Some(health) = state.health else {
        return Ok(Readiness::Ready);
    };
    let last = health
        .log
        .and_then(|log| log.into_iter().last())
        .and_then(|r| r.output)
        .map(|o| o.trim().replace('\n', " "))
        .unwrap_or_default();
    Ok(match health.status.unwrap_or(HealthStatusEnum::NONE) {
        HealthStatusEnum::HEALTHY | HealthStatusEnum::NONE | HealthStatusEnum::EMPTY => {
            Readiness::Ready
        }
        HealthStatusEnum::UNHEALTHY => Readiness::Failed(format!("health check failing: {last}")),
        HealthStatusEnum::STARTING => Readiness::Waiting(last),
    })
}

/// The container's output as it comes; with `follow`, until it stops.
pub fn logs(
    docker: &Docker,
    name: &str,
    follow: bool,
    tail: Option<usize>,
) -> impl Stream<Item = Result<LogOutput>> + use<> {
    let options = LogsOptions {
        follow,
        stdout: true,
        stderr: true,
        tail: tail.map_or_else(|| "all".to_owned(), |n| n.to_string()),
        ..Default::default()
    };
    let action = format!("read logs of {name}");
    docker
        .logs(name, Some(options))
        .map(move |item| item.map_err(failed(action.clone())))
}

/// Runs a command in a running container and returns its output, failing
/// when it exits non-zero.
pub async fn exec(
    docker: &Docker,
    service: &str,
    name: &str,
    command: &[String],
) -> Result<String> {
    let config = ExecConfig {
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        cmd: Some(command.to_vec()),
        ..Default::default()
    };
    let created = docker
        .create_exec(name, config)
        .await
        .map_err(failed(format!("run a command in {name}")))?;
    let mut output = String::new();
    let options = StartExecOptions {
        detach: false,
        tty: false,
        output_capacity: None,
    };
    if let StartExecResults::Attached {
        output: mut stream, ..
    } = docker
        .start_exec(&created.id, Some(options))
        .await
        .map_err(failed(format!("run a command in {name}")))?
    {
        while let Some(chunk) = stream.next().await {
            output.push_str(
                &chunk
                    .map_err(failed(format!("read output in {name}")))?
                    .to_string(),
            );
        }
    }
    let inspect = docker
        .inspect_exec(&created.id)
        .await
        .map_err(failed(format!("inspect a command in {name}")))?;
    match inspect.exit_code {
        Some(0) => Ok(output),
        code => Err(Error::Exec {
            service: service.to_owned(),
            command: command.to_vec(),
            code,
            output,
        }),
    }
}

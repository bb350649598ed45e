//! The project's own services built on the host: one cargo run for their
//! release binaries, each packaged onto the runtime base with its OCI
//! labels, skipped when the image already holds that binary.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use bollard::Docker;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::Error as ImageError;
use super::resolve::resolve_variable;
use crate::engine::images::{self, BuildRequest};
use crate::error::{Error, Result};
use crate::project::Project;
use crate::ui::progress::Progress;

/// Label holding the sha256 of the binary packaged into a service image.
pub const BINARY_LABEL: &str = "muelle.binary.sha256";
/// Label holding the id of the runtime base a service image was built on.
pub const RUNTIME_LABEL: &str = "muelle.runtime.id";
/// Label holding a hash of the packaging Dockerfile.
pub const DOCKERFILE_LABEL: &str = "muelle.dockerfile.hash";

/// Builds the images of `services` (all built by muelle, see
/// `[services]`) under their compose names, with a service's
/// `extra_labels` on top of the standard ones. Returns the ids of images
/// the builds replaced.
pub async fn build_services(
    docker: &Docker,
    project: &mut Project,
    services: &[String],
    extra_labels: &dyn Fn(&str) -> BTreeMap<String, String>,
    progress: &Progress,
) -> Result<Vec<String>> {
    let (var, default) = (
        project.manifest.build.runtime_arg.clone(),
        project.manifest.build.runtime_image.clone(),
    );
    let runtime = resolve_variable(docker, project, &var, &default, progress).await?;
    let binaries = cargo_build(project, services, progress).await?;
    let runtime_id = images::inspect(docker, &runtime)
        .await?
        .map(|i| i.id)
        .unwrap_or_default();
    let mut replaced = Vec::new();
    for service in services {
        let image = project.compose()?.services[service]
            .image
            .clone()
            .unwrap_or_default();
        let mut labels = standard_labels(project, service);
        labels.extend(extra_labels(service));
        let job = Packaging {
            image: &image,
            binary: &binaries[service],
            dockerfile: &project.root.join(&project.manifest.build.dockerfile),
            runtime_arg: &project.manifest.build.runtime_arg,
            runtime: (&runtime, &runtime_id),
            labels,
        };
        replaced.extend(package(docker, job, progress).await?);
    }
    Ok(replaced)
}

/// The OCI labels every service image carries; `muelle build` adds revision, version and created.
pub fn standard_labels(project: &Project, service: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(
        "org.opencontainers.image.title".to_owned(),
        service.to_owned(),
    )]);
    if let Some(source) = &project.manifest.project.source {
        labels.insert("org.opencontainers.image.source".into(), source.clone());
    }
    labels
}

/// Builds the release binaries of `services` on the host in one cargo run;
/// returns service → binary path.
pub async fn cargo_build(
    project: &Project,
    services: &[String],
    progress: &Progress,
) -> Result<BTreeMap<String, PathBuf>> {
    let task = progress.task(format!("cargo build {}", services.join(" ")));
    let mut command =
        tokio::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(&project.root)
        .args([
            "build",
            "--message-format=json-render-diagnostics",
            "--profile",
        ])
        .arg(&project.manifest.build.profile);
    if project.strip_debuginfo {
        let profile = &project.manifest.build.profile;
        command
            .arg("--config")
            .arg(format!("profile.{profile}.strip=\"debuginfo\""));
    }
    for service in services {
        let s = &project.manifest.services[service];
        command.args(["-p", &s.package, "--bin", s.bin()]);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| ImageError::NoCargo { source })?;
    let stderr = child.stderr.take().map(BufReader::new);
    let status_task = &task;
    // Crates compiled so far, counted from cargo's artifact messages: the
    // first release build takes minutes and the count shows it moving.
    let built = std::sync::atomic::AtomicUsize::new(0);
    let built = &built;
    let read_stderr = async move {
        let mut tail = Vec::new();
        if let Some(stderr) = stderr {
            let mut lines = stderr.lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let count = built.load(std::sync::atomic::Ordering::Relaxed);
                status_task.status(&format!("{count} crates built · {}", line.trim()));
                tail.push(line);
            }
        }
        tail
    };
    let stdout = child.stdout.take().map(BufReader::new);
    let read_stdout = async move {
        let mut executables: HashMap<String, PathBuf> = HashMap::new();
        if let Some(stdout) = stdout {
            let mut lines = stdout.lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                if message["reason"] == "compiler-artifact" {
                    built.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                if let (Some(exe), Some(name)) = (
                    message["executable"].as_str(),
                    message["target"]["name"].as_str(),
                ) {
                    executables.insert(name.to_owned(), PathBuf::from(exe));
                }
            }
        }
        executables
    };
    let (tail, executables) = tokio::join!(read_stderr, read_stdout);
    let status = child.wait().await.map_err(Error::io("wait for cargo"))?;
    if !status.success() {
        task.fail();
        let errors = tail
            .into_iter()
            .filter(|l| l.starts_with("error"))
            .take(3)
            .collect();
        return Err(ImageError::Cargo {
            services: services.to_vec(),
            errors,
        }
        .into());
    }
    task.done("compiled");
    services
        .iter()
        .map(|service| {
            let bin = project.manifest.services[service].bin();
            executables
                .get(bin)
                .map(|path| (service.clone(), path.clone()))
                .ok_or_else(|| {
                    ImageError::NoBinary {
                        service: service.clone(),
                        bin: bin.to_owned(),
                    }
                    .into()
                })
        })
        .collect()
}

/// One service image to package from a host-built binary.
pub struct Packaging<'a> {
    /// The tag to build, e.g. `voting/vote:local`.
    pub image: &'a str,
    /// The compiled binary.
    pub binary: &'a Path,
    /// The Dockerfile that packages it (sees the binary as `app`).
    pub dockerfile: &'a Path,
    /// The build argument naming the runtime base.
    pub runtime_arg: &'a str,
    /// The runtime base's tag and id.
    pub runtime: (&'a str, &'a str),
    /// Labels to add (OCI labels; `muelle build` adds more).
    pub labels: BTreeMap<String, String>,
}

/// Packages a binary onto the runtime base, unless the image already holds
/// this binary on this runtime with these labels. Returns the id of the
/// image it replaced, if any.
pub async fn package(
    docker: &Docker,
    job: Packaging<'_>,
    progress: &Progress,
) -> Result<Option<String>> {
    let bytes =
        std::fs::read(job.binary).map_err(Error::io(format!("read {}", job.binary.display())))?;
    let dockerfile = std::fs::read(job.dockerfile)
        .map_err(Error::io(format!("read {}", job.dockerfile.display())))?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let mut labels: HashMap<String, String> = job.labels.into_iter().collect();
    labels.insert(BINARY_LABEL.into(), sha);
    labels.insert(RUNTIME_LABEL.into(), job.runtime.1.to_owned());
    labels.insert(
        DOCKERFILE_LABEL.into(),
        hex::encode(&Sha256::digest(&dockerfile)[..8]),
    );
    let existing = images::inspect(docker, job.image).await?;
    if let Some(existing) = &existing {
        if labels
            .iter()
            .all(|(k, v)| existing.labels.get(k) == Some(v))
        {
            return Ok(None);
        }
    }
    let task = progress.task(format!("package {}", job.image));
    let title = labels
        .get("org.opencontainers.image.title")
        .cloned()
        .unwrap_or_default();
    // One LABEL instruction in the Dockerfile rather than build-option
    // labels: the classic builder turns each of those into a step of its own,
    // each a container commit.
    let mut dockerfile = dockerfile;
    dockerfile.extend_from_slice(crate::image::context::label_instruction(&labels).as_bytes());
    let request = BuildRequest {
        tag: job.image,
        context: crate::image::context::tar(&[
            ("Dockerfile".into(), dockerfile),
            ("app".into(), bytes),
        ])?,
        args: HashMap::from([
            (job.runtime_arg.to_owned(), job.runtime.0.to_owned()),
            ("SERVICE".to_owned(), title),
        ]),
        labels: HashMap::new(),
    };
    match images::build(docker, request, &mut |line| task.status(line)).await {
        Ok(()) => {
            task.done("built");
            Ok(existing.map(|e| e.id))
        }
        Err(e) => {
            task.fail();
            Err(e.into())
        }
    }
}

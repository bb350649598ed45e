//! Offline base images: a debootstrapped Debian imported into Docker, and
//! stand-ins for third-party images built on it from the recipes in
//! `deploy/docker/bases/` (`<recipe>.Dockerfile` plus its `<recipe>-*` files).
//! Each is rebuilt only when its recipe (or the Debian image) changes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use bollard::Docker;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::Error as ImageError;
use super::host::{self, Debootstrap};
use crate::engine::images::{self, BuildRequest};
use crate::error::{Error, Result};
use crate::project::manifest::Bases;
use crate::ui::progress::{Progress, Task};

/// Label holding the hash of the recipe a stand-in was built from.
pub const RECIPE_LABEL: &str = "muelle.recipe.hash";

/// The local tag of a recipe's image, e.g. `muelle/redis:bookworm`.
pub fn tag(bases: &Bases, recipe: &str) -> String {
    format!("muelle/{recipe}:{}", bases.suite)
}

/// Makes sure the debootstrapped Debian image exists; returns its id.
pub async fn ensure_debian(
    docker: &Docker,
    bases: &Bases,
    progress: &Progress,
    force: bool,
) -> Result<String> {
    let tag = tag(bases, "debian");
    if !force {
        if let Some(image) = images::inspect(docker, &tag).await? {
            return Ok(image.id);
        }
    }
    let task = progress.task(format!("debootstrap Debian {} into {tag}", bases.suite));
    let outcome = debootstrap_and_import(docker, bases, &tag, &task).await;
    match outcome {
        Ok(()) => task.done("imported"),
        Err(e) => {
            task.fail();
            return Err(e);
        }
    }
    let image = images::inspect(docker, &tag)
        .await?
        .ok_or_else(|| ImageError::ImportLeftNoImage { tag: tag.clone() })?;
    Ok(image.id)
}

async fn debootstrap_and_import(
    docker: &Docker,
    bases: &Bases,
    tag: &str,
    task: &Task,
) -> Result<()> {
    let tag_owned = || tag.to_owned();
    let debootstrap = debootstrap(bases, tag, task).await?;
    if !nix::unistd::geteuid().is_root() {
        return Err(ImageError::NeedsRoot { tag: tag_owned() }.into());
    }
    let (mirror, from) = host::choose_mirror(bases.mirror.as_deref(), &bases.suite);
    task.say(&format!("Debian {} from {mirror} ({from})", bases.suite));
    let mut command = tokio::process::Command::new(debootstrap);
    if let Some(proxy) = host::apt_proxy().await {
        command.env("http_proxy", proxy);
    }
    let dir = tempfile::Builder::new()
        .prefix("muelle-rootfs-")
        .tempdir()
        .map_err(Error::io("make a folder for debootstrap"))?;
    let mut child = command
        .args(["--variant=minbase", &bases.suite])
        .arg(dir.path())
        .arg(&mirror)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(Error::io("run debootstrap"))?;
    let stdout = child.stdout.take().map(BufReader::new);
    let mut last = String::new();
    if let Some(stdout) = stdout {
        let mut lines = stdout.lines();
        while let Ok(Some(line)) = lines.next_line().await {
            task.status(&line);
            last = line;
        }
    }
    let output = child
        .wait_with_output()
        .await
        .map_err(Error::io("run debootstrap"))?;
    if !output.status.success() {
        return Err(ImageError::Debootstrap {
            tag: tag_owned(),
            last_line: last,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
        .into());
    }
    // Package caches would only make the image bigger; apt-get update refills lists.
    for cache in ["var/cache/apt/archives", "var/lib/apt/lists"] {
        if let Ok(entries) = std::fs::read_dir(dir.path().join(cache)) {
            for entry in entries.flatten() {
                if entry.path().is_file() {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
    task.status("importing the root file system");
    let mut tar = tokio::process::Command::new("tar")
        .args(["--numeric-owner", "-C"])
        .arg(dir.path())
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(Error::io("run tar"))?;
    let stdout = tar
        .stdout
        .take()
        .ok_or_else(|| ImageError::TarNoOutput { tag: tag_owned() })?;
    let stream = tokio_util::io::ReaderStream::new(stdout);
    images::import(docker, tag, Box::pin(stream), &["CMD [\"bash\"]"]).await?;
    let status = tar.wait().await.map_err(Error::io("run tar"))?;
    if !status.success() {
        return Err(ImageError::Tar {
            tag: tag_owned(),
            status,
        }
        .into());
    }
    Ok(())
}

/// debootstrap's path, installed first with apt-get where the host allows
/// it (root, a Debian-family host, no `--no-install`).
async fn debootstrap(bases: &Bases, tag: &str, task: &Task) -> Result<PathBuf> {
    let found = host::find_debootstrap();
    let decision = host::Host {
        found,
        root: nix::unistd::geteuid().is_root(),
        apt: Path::new("/usr/bin/apt-get").exists(),
        may_install: bases.may_install,
    }
    .debootstrap();
    match decision {
        Debootstrap::Found(path) => Ok(path),
        Debootstrap::Missing { how } => Err(ImageError::NoDebootstrap {
            tag: tag.to_owned(),
            how,
        }
        .into()),
        Debootstrap::Install => {
            task.say("debootstrap is missing: installing it with apt-get (--no-install refuses)");
            host::install_debootstrap(&|line| task.status(line))
                .await
                .map_err(|(command, said)| ImageError::InstallFailed {
                    tag: tag.to_owned(),
                    command,
                    said,
                })?;
            host::find_debootstrap().map(Path::to_owned).ok_or_else(|| {
                ImageError::NoDebootstrap {
                    tag: tag.to_owned(),
                    how: "apt-get installed it, yet it is not in /usr/sbin".to_owned(),
                }
                .into()
            })
        }
    }
}

/// The files of a recipe as a build context: the Dockerfile and its `<recipe>-*` files.
pub fn recipe_context(dir: &Path, recipe: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let dockerfile = dir.join(format!("{recipe}.Dockerfile"));
    let read =
        |path: &Path| std::fs::read(path).map_err(Error::io(format!("read {}", path.display())));
    let mut files = vec![("Dockerfile".to_owned(), read(&dockerfile)?)];
    let prefix = format!("{recipe}-");
    let mut extra: Vec<_> = std::fs::read_dir(dir)
        .map_err(Error::io(format!("read {}", dir.display())))?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix) && e.path().is_file())
        .map(|e| e.path())
        .collect();
    extra.sort();
    for path in extra {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        files.push((name, read(&path)?));
    }
    Ok(files)
}

/// A recipe's build arguments: the Debian image, and apt's proxy, which
/// Docker hands to `RUN` as `http_proxy` without a declaration.
async fn recipe_args(bases: &Bases) -> HashMap<String, String> {
    let mut args = HashMap::from([("DEBIAN_IMAGE".to_owned(), tag(bases, "debian"))]);
    if let Some(proxy) = host::apt_proxy().await {
        args.insert("http_proxy".to_owned(), proxy);
    }
    args
}

/// Makes sure the stand-in built from `recipe` is current; returns its tag.
pub async fn ensure(
    docker: &Docker,
    root: &Path,
    bases: &Bases,
    recipe: &str,
    progress: &Progress,
    force: bool,
) -> Result<String> {
    let debian = ensure_debian(docker, bases, progress, false).await?;
    let files = recipe_context(&root.join(&bases.dir), recipe)?;
    let mut hasher = Sha256::new();
    hasher.update(debian.as_bytes());
    for (name, bytes) in &files {
        hasher.update(name.as_bytes());
        hasher.update(bytes);
    }
    let hash = hex::encode(&hasher.finalize()[..8]);
    let tag = tag(bases, recipe);
    if !force {
        if let Some(image) = images::inspect(docker, &tag).await? {
            if image.labels.get(RECIPE_LABEL) == Some(&hash) {
                return Ok(tag);
            }
        }
    }
    let task = progress.task(format!("build {tag} from Debian packages"));
    let request = BuildRequest {
        tag: &tag,
        context: crate::image::context::tar(&files)?,
        args: recipe_args(bases).await,
        labels: HashMap::from([(RECIPE_LABEL.to_owned(), hash)]),
    };
    match images::build(docker, request, &mut |line| task.status(line)).await {
        Ok(()) => task.done("built"),
        Err(e) => {
            task.fail();
            return Err(e.into());
        }
    }
    Ok(tag)
}

//! Images: inspect, pull, build from an in-memory context, import a rootfs,
//! tag, push, list the names under a registry and untag.

use std::collections::HashMap;

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::models::PushImageInfo;
use bollard::query_parameters::{
    BuildImageOptions, CreateImageOptions, ListImagesOptions, PushImageOptions, RemoveImageOptions,
    TagImageOptions,
};
use bytes_stream::ByteStream;
use futures::StreamExt;

use super::{Error, Result, failed, is_not_found};

/// What muelle needs to know of a local image.
#[derive(Debug, Clone)]
pub struct Local {
    /// The content id, `sha256:…`.
    pub id: String,
    /// Its labels.
    pub labels: HashMap<String, String>,
}

/// The local image `reference`, if there is one.
pub async fn inspect(docker: &Docker, reference: &str) -> Result<Option<Local>> {
    match docker.inspect_image(reference).await {
        Ok(image) => Ok(Some(Local {
            id: image.id.unwrap_or_default(),
            labels: image.config.and_then(|c| c.labels).unwrap_or_default(),
        })),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(failed(format!("inspect image {reference}"))(e)),
    }
}

/// Removes an image that lost its tag to a rebuild, unless a container
/// still uses it (then it goes with a later rebuild or `docker image prune`).
pub async fn remove_unused(docker: &Docker, id: &str) -> Result<()> {
    let options = bollard::query_parameters::RemoveImageOptions {
        force: false,
        noprune: false,
        platforms: None,
    };
    match docker.remove_image(id, Some(options), None).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        }) => Ok(()),
        Err(e) => Err(failed(format!("remove image {id}"))(e)),
    }
}

/// Removes an image a rebuild left without any name, as `docker build`
/// would leave it dangling; an image that still has a name stays.
pub async fn remove_if_dangling(docker: &Docker, id: &str) -> Result<()> {
    match docker.inspect_image(id).await {
        Ok(image) if image.repo_tags.as_ref().is_none_or(Vec::is_empty) => {
            remove_unused(docker, id).await
        }
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(failed(format!("inspect image {id}"))(e)),
    }
}

/// Pulls `reference`, reporting each status line; the error is the registry's answer.
pub async fn pull(
    docker: &Docker,
    reference: &str,
    on_line: &mut dyn FnMut(&str),
) -> Result<(), bollard::errors::Error> {
    let (repo, tag) = split_reference(reference);
    let options = CreateImageOptions {
        from_image: Some(repo.to_owned()),
        tag: Some(tag.to_owned()),
        ..Default::default()
    };
    let mut stream = docker.create_image(Some(options), None, None);
    while let Some(item) = stream.next().await {
        let info = item?;
        if let Some(status) = info.status {
            on_line(&status);
        }
    }
    Ok(())
}

/// Splits `repo[:tag][@digest]` into repository and tag (or digest), as the pull API wants.
pub fn split_reference(reference: &str) -> (&str, &str) {
    if let Some((repo, digest)) = reference.split_once('@') {
        return (repo, digest);
    }
    match reference.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (reference, "latest"),
    }
}

/// What to build: a context tar, the Dockerfile's name in it, and the result's tag.
pub struct BuildRequest<'a> {
    /// The tag to give the image.
    pub tag: &'a str,
    /// The build context as a tar archive.
    pub context: Vec<u8>,
    /// `--build-arg`s.
    pub args: HashMap<String, String>,
    /// Labels to add to the image.
    pub labels: HashMap<String, String>,
}

/// Number of builder output lines kept to explain a failed build.
const BUILD_LOG_TAIL: usize = 12;

/// Builds an image with the classic builder, reporting each output line.
pub async fn build(
    docker: &Docker,
    request: BuildRequest<'_>,
    on_line: &mut dyn FnMut(&str),
) -> Result<()> {
    let options = BuildImageOptions {
        dockerfile: "Dockerfile".into(),
        t: Some(request.tag.to_owned()),
        rm: true,
        forcerm: true,
        buildargs: Some(request.args),
        labels: Some(request.labels),
        ..Default::default()
    };
    let body = bollard::body_full(request.context.into());
    let mut stream = docker.build_image(options, None, Some(body));
    let mut tail: Vec<String> = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                for line in info.stream.iter().flat_map(|s| s.lines()) {
                    let line = line.trim_end();
                    if !line.is_empty() {
                        on_line(line);
                        tail.push(line.to_owned());
                        if tail.len() > BUILD_LOG_TAIL {
                            tail.remove(0);
                        }
                    }
                }
            }
            Err(e) => {
                return Err(Error::Build {
                    tag: request.tag.to_owned(),
                    source: e,
                    tail,
                });
            }
        }
    }
    Ok(())
}

/// Imports a root file system tar (as `docker import`) under `tag`.
pub async fn import(
    docker: &Docker,
    tag: &str,
    rootfs: ByteStream,
    changes: &[&str],
) -> Result<()> {
    let (repo, tag_part) = split_reference(tag);
    let options = CreateImageOptions {
        from_src: Some("-".into()),
        repo: Some(repo.to_owned()),
        tag: Some(tag_part.to_owned()),
        changes: changes.iter().map(|c| (*c).to_owned()).collect(),
        ..Default::default()
    };
    let body = bollard::body_try_stream(rootfs);
    let mut stream = docker.create_image(Some(options), Some(body), None);
    while let Some(item) = stream.next().await {
        item.map_err(failed(format!("import {tag}")))?;
    }
    Ok(())
}

/// Gives the image `source` the name `repository:tag`.
pub async fn tag(docker: &Docker, source: &str, repository: &str, tag: &str) -> Result<()> {
    let options = TagImageOptions {
        repo: Some(repository.to_owned()),
        tag: Some(tag.to_owned()),
    };
    docker
        .tag_image(source, Some(options))
        .await
        .map_err(failed(format!("tag {source} as {repository}:{tag}")))
}

/// Pushes `repository:tag`, reporting every status message; returns the
/// manifest digest the daemon reports (`<tag>: digest: sha256:… size: N`).
pub async fn push(
    docker: &Docker,
    repository: &str,
    tag: &str,
    credentials: Option<DockerCredentials>,
    on_info: &mut dyn FnMut(&PushImageInfo),
) -> Result<Option<String>> {
    let options = PushImageOptions {
        tag: Some(tag.to_owned()),
        platform: None,
    };
    let mut stream = docker.push_image(repository, Some(options), credentials);
    let mut digest = None;
    while let Some(item) = stream.next().await {
        let info = item.map_err(failed(format!("push {repository}:{tag}")))?;
        if let Some(found) = info.status.as_deref().and_then(pushed_digest) {
            digest = Some(found.to_owned());
        }
        on_info(&info);
    }
    Ok(digest)
}

/// The digest in the daemon's last push message, `<tag>: digest: sha256:… size: N`.
pub fn pushed_digest(status: &str) -> Option<&str> {
    let (_, rest) = status.split_once(": digest: ")?;
    rest.split_whitespace()
        .next()
        .filter(|d| d.starts_with("sha256:"))
}

/// Every local name under `prefix` (`host:port/`), at any depth of
/// repository path: `repository:tag` names first, then `repository@digest`
/// ones (an image pulled by digest has only those).
pub async fn names_under(docker: &Docker, prefix: &str) -> Result<Vec<String>> {
    let patterns: Vec<String> = (1..=3)
        .map(|depth| format!("{prefix}{}", vec!["*"; depth].join("/")))
        .collect();
    let options = ListImagesOptions {
        filters: Some(HashMap::from([("reference".to_owned(), patterns)])),
        ..Default::default()
    };
    let images = docker
        .list_images(Some(options))
        .await
        .map_err(failed(format!("list the images under {prefix}")))?;
    let (mut tags, mut digests): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for image in images {
        tags.extend(image.repo_tags);
        digests.extend(image.repo_digests);
    }
    let mut names = Vec::new();
    for mut list in [tags, digests] {
        list.retain(|name| name.starts_with(prefix));
        list.sort();
        list.dedup();
        names.extend(list);
    }
    Ok(names)
}

/// Removes the name `reference`; the image goes too once it has no other
/// name and no container uses it.
pub async fn untag(docker: &Docker, reference: &str) -> Result<()> {
    let options = RemoveImageOptions {
        force: false,
        noprune: false,
        platforms: None,
    };
    match docker.remove_image(reference, Some(options), None).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(failed(format!("remove the local name {reference}"))(e)),
    }
}

/// Byte streams fed to the Engine API.
pub mod bytes_stream {
    /// A boxed stream of chunks, as bollard's streaming bodies take it.
    pub type ByteStream = std::pin::Pin<
        Box<dyn futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static>,
    >;
}

#[cfg(test)]
mod tests {
    use super::{pushed_digest, split_reference};

    #[test]
    fn the_digest_comes_from_the_last_push_message() {
        assert_eq!(
            pushed_digest("20261125-2: digest: sha256:0a1b size: 739"),
            Some("sha256:0a1b")
        );
        assert_eq!(pushed_digest("Layer already exists"), None);
    }

    #[test]
    fn references_split_like_the_pull_api_wants() {
        assert_eq!(split_reference("redis:7-alpine"), ("redis", "7-alpine"));
        assert_eq!(split_reference("redis"), ("redis", "latest"));
        assert_eq!(
            split_reference("localhost:5000/team/vote"),
            ("localhost:5000/team/vote", "latest")
        );
        assert_eq!(
            split_reference("gcr.io/distroless/cc-debian12:nonroot"),
            ("gcr.io/distroless/cc-debian12", "nonroot")
        );
    }
}

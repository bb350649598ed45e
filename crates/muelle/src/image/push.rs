//! Pushing one tag of an image with a progress bar per layer, as `muelle
//! push` and `muelle lab up` show it.

use bollard::Docker;
use bollard::auth::DockerCredentials;

use crate::engine::{self, images};
use crate::ui::progress::Progress;

/// Pushes `remote:tag` with a bar per layer; returns the manifest digest
/// the daemon reported.
pub async fn push_shown(
    docker: &Docker,
    remote: &str,
    tag: &str,
    credentials: Option<DockerCredentials>,
    progress: &Progress,
) -> engine::Result<Option<String>> {
    let mut layers = progress.layers(format!("push {remote}:{tag}"));
    let result = images::push(docker, remote, tag, credentials, &mut |info| {
        let detail = info.progress_detail.as_ref();
        layers.update(
            info.status.as_deref().unwrap_or_default(),
            detail.and_then(|d| d.current),
            detail.and_then(|d| d.total),
        );
    })
    .await;
    match &result {
        Ok(_) => layers.done(),
        Err(_) => layers.fail(),
    }
    result
}

//! Images behind a compose variable or a name: the user's choice, the
//! official image if present or pullable, else the offline stand-in built
//! from its recipe.

use bollard::Docker;

use crate::engine::{images, words};
use crate::error::Result;
use crate::project::Project;
use crate::ui::progress::Progress;

/// Decides the image behind a variable with an offline recipe: the user's
/// value, else the default if present or pullable, else the stand-in (built
/// if needed). Sets the variable for the compose file and returns the image.
pub async fn resolve_variable(
    docker: &Docker,
    project: &mut Project,
    var: &str,
    default: &str,
    progress: &Progress,
) -> Result<String> {
    if let Some(value) = project.lookup(var) {
        return Ok(value);
    }
    let Some(recipe) = project.manifest.bases.images.get(var).cloned() else {
        return Ok(default.to_owned());
    };
    if images::inspect(docker, default).await?.is_some() {
        return Ok(default.to_owned());
    }
    let stand_in = super::bases::tag(&project.manifest.bases, &recipe);
    if images::inspect(docker, &stand_in).await?.is_none() {
        match pull(docker, default, progress).await {
            Ok(()) => return Ok(default.to_owned()),
            Err(reason) => progress.say(&format!(
                "{default} cannot be pulled ({}); building the offline stand-in {stand_in} from Debian packages (once)",
                words(&reason)
            )),
        }
    }
    let root = project.root.clone();
    let tag = super::bases::ensure(
        docker,
        &root,
        &project.manifest.bases,
        &recipe,
        progress,
        false,
    )
    .await?;
    project.overrides.insert(var.to_owned(), tag.clone());
    Ok(tag)
}

/// Pulls `image` with a progress line; the error is the daemon's.
pub async fn pull(
    docker: &Docker,
    image: &str,
    progress: &Progress,
) -> Result<(), bollard::errors::Error> {
    let task = progress.task(format!("pull {image}"));
    match images::pull(docker, image, &mut |line| task.status(line)).await {
        Ok(()) => {
            task.done("pulled");
            Ok(())
        }
        Err(reason) => {
            task.fail();
            Err(reason)
        }
    }
}

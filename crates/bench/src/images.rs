//! Sizes of the services' container images, when they have been built.

use tokio::process::Command;

/// The images the compose file builds, overridable as it is.
const IMAGES: [(&str, &str, &str); 3] = [
    ("vote", "VOTE_IMAGE", "voting/vote:local"),
    ("worker", "WORKER_IMAGE", "voting/worker:local"),
    ("result", "RESULT_IMAGE", "voting/result:local"),
];

/// One service's image and its size, or why there is none.
#[derive(Debug, Clone)]
pub struct Image {
    /// The service.
    pub service: &'static str,
    /// The image reference looked up.
    pub reference: String,
    /// Its size in megabytes (10^6 bytes, as `docker images` shows), or why not.
    pub size_mb: Result<f64, String>,
}

/// Looks each image up in the local Docker engine.
pub async fn sizes() -> Vec<Image> {
    let mut images = Vec::new();
    for (service, variable, default) in IMAGES {
        let reference = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
        let size_mb = inspect(&reference).await;
        images.push(Image {
            service,
            reference,
            size_mb,
        });
    }
    images
}

async fn inspect(reference: &str) -> Result<f64, String> {
    let output = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Size}}", reference])
        .output()
        .await
        .map_err(|_| "docker is not available".to_owned())?;
    if !output.status.success() {
        return Err("not built here (`cargo run -p muelle -- up` builds it)".into());
    }
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse::<f64>()
        .map(|bytes| bytes / 1e6)
        .map_err(|e| format!("unexpected size: {e}"))
}

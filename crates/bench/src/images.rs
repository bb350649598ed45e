//! Sizes of the services' container images, when they have been built, and
//! whether they were built from the commit measured.

use tokio::process::Command;

/// The images the compose file builds, overridable as it is.
const IMAGES: [(&str, &str, &str); 3] = [
    ("vote", "VOTE_IMAGE", "voting/vote:local"),
    ("worker", "WORKER_IMAGE", "voting/worker:local"),
    ("result", "RESULT_IMAGE", "voting/result:local"),
];

/// The label muelle's builds put the full commit sha in.
const REVISION_LABEL: &str = "org.opencontainers.image.revision";

/// One service's image and its size, or why there is none.
#[derive(Debug, Clone)]
pub struct Image {
    /// The service.
    pub service: &'static str,
    /// The image reference looked up.
    pub reference: String,
    /// Its size in megabytes (10^6 bytes, as `docker images` shows), or why not.
    pub size_mb: Result<f64, String>,
    /// Its [`REVISION_LABEL`], when it has one.
    pub revision: Option<String>,
}

impl Image {
    /// Why its size does not describe `commit` (the full sha measured), or
    /// `None` when it was built from it.
    pub fn stale(&self, commit: &str) -> Option<String> {
        match &self.revision {
            Some(revision) if revision == commit => None,
            Some(revision) => Some(format!(
                "stale: built from {}, not the commit measured",
                short(revision)
            )),
            None => Some(format!("stale: no `{REVISION_LABEL}` label")),
        }
    }
}

/// The first 7 characters of a sha, as git shows it.
fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// Looks each image up in the local Docker engine.
pub async fn sizes() -> Vec<Image> {
    let mut images = Vec::new();
    for (service, variable, default) in IMAGES {
        let reference = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
        let (size_mb, revision) = match inspect(&reference).await {
            Ok((size, revision)) => (Ok(size), revision),
            Err(why) => (Err(why), None),
        };
        images.push(Image {
            service,
            reference,
            size_mb,
            revision,
        });
    }
    images
}

/// The image's size in MB and its revision label.
async fn inspect(reference: &str) -> Result<(f64, Option<String>), String> {
    let output = Command::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            "{{.Size}} {{json .Config.Labels}}",
            reference,
        ])
        .output()
        .await
        .map_err(|_| "docker is not available".to_owned())?;
    if !output.status.success() {
        return Err("not built here (`cargo run -p muelle -- up` builds it)".into());
    }
    parse(&String::from_utf8_lossy(&output.stdout))
}

/// Reads `<bytes> <labels as JSON>` as `docker image inspect` prints it.
fn parse(inspected: &str) -> Result<(f64, Option<String>), String> {
    let (size, labels) = inspected
        .trim()
        .split_once(' ')
        .unwrap_or((inspected, "null"));
    let bytes = size
        .parse::<f64>()
        .map_err(|e| format!("unexpected size {size:?}: {e}"))?;
    let labels: Option<std::collections::BTreeMap<String, String>> =
        serde_json::from_str(labels).map_err(|e| format!("unexpected labels: {e}"))?;
    let revision = labels.and_then(|mut l| l.remove(REVISION_LABEL));
    Ok((bytes / 1e6, revision))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn image(inspected: &str) -> Image {
        let (size, revision) = parse(inspected).expect("parses");
        Image {
            service: "vote",
            reference: "voting/vote:local".into(),
            size_mb: Ok(size),
            revision,
        }
    }

    #[test]
    fn an_image_is_fresh_only_when_built_from_the_commit_measured() {
        let fresh = image(&format!("31834828 {{\"{REVISION_LABEL}\":\"{SHA}\"}}\n"));
        assert_eq!(fresh.size_mb, Ok(31.834828));
        assert_eq!(fresh.stale(SHA), None);
        let other = "fedcba9876543210fedcba9876543210fedcba98";
        assert_eq!(
            fresh.stale(other).as_deref(),
            Some("stale: built from 0123456, not the commit measured")
        );
        let unlabelled = image("1000000 {\"org.opencontainers.image.title\":\"vote\"}");
        assert!(
            unlabelled
                .stale(SHA)
                .is_some_and(|why| why.contains("no `"))
        );
        assert_eq!(image("1000000 null").revision, None);
        assert!(parse("big null").is_err());
    }
}

//! What the host gives the offline stand-ins: its own Debian mirror (from its
//! apt sources, so a local mirror or proxy is used instead of a fixed URL),
//! its apt proxy, and debootstrap itself, installed with apt when missing and
//! allowed.

use std::path::{Path, PathBuf};

/// Where apt keeps its sources on a Debian-family host.
const APT_SOURCES: &str = "/etc/apt/sources.list";
/// Folder of further sources, one-line `.list` and deb822 `.sources` files.
const APT_SOURCES_DIR: &str = "/etc/apt/sources.list.d";
/// The mirror used when neither the manifest nor the host names one.
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";
/// Where Debian-family systems install debootstrap.
const DEBOOTSTRAP_PATHS: [&str; 3] = [
    "/usr/sbin/debootstrap",
    "/sbin/debootstrap",
    "/usr/bin/debootstrap",
];

/// One `deb` entry of an apt source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The archive's URI, e.g. `http://deb.debian.org/debian`.
    pub uri: String,
    /// Suites such as `bookworm`, `bookworm-updates`.
    pub suites: Vec<String>,
    /// Components such as `main`.
    pub components: Vec<String>,
}

/// The mirror for `suite`: the first host source whose suites include it
/// exactly (not `-security` or `-updates`) with the `main` component.
pub fn mirror_for(sources: &[Source], suite: &str) -> Option<String> {
    sources
        .iter()
        .find(|s| s.suites.iter().any(|x| x == suite) && s.components.iter().any(|c| c == "main"))
        .map(|s| s.uri.trim_end_matches('/').to_owned())
}

/// The host's apt sources, both formats; unreadable files are skipped.
pub fn host_sources() -> Vec<Source> {
    let mut sources = Vec::new();
    if let Ok(text) = std::fs::read_to_string(APT_SOURCES) {
        sources.extend(parse_one_line(&text));
    }
    let Ok(entries) = std::fs::read_dir(APT_SOURCES_DIR) else {
        return sources;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        match path.extension().and_then(|e| e.to_str()) {
            Some("list") => sources.extend(parse_one_line(&text)),
            Some("sources") => sources.extend(parse_deb822(&text)),
            _ => {}
        }
    }
    sources
}

/// Parses the one-line format: `deb [options] uri suite component…`.
pub fn parse_one_line(text: &str) -> Vec<Source> {
    text.lines()
        .filter_map(|line| {
            let line = line.split('#').next().unwrap_or("").trim();
            let rest = line.strip_prefix("deb ")?.trim_start();
            let rest = match rest.strip_prefix('[') {
                Some(options) => options.split_once(']')?.1,
                None => rest,
            };
            let mut words = rest.split_whitespace();
            let uri = words.next()?.to_owned();
            let suite = words.next()?.to_owned();
            Some(Source {
                uri,
                suites: vec![suite],
                components: words.map(str::to_owned).collect(),
            })
        })
        .collect()
}

/// Parses deb822 stanzas (`Types:`, `URIs:`, `Suites:`, `Components:`),
/// skipping those with `Enabled: no`.
pub fn parse_deb822(text: &str) -> Vec<Source> {
    let mut sources = Vec::new();
    for stanza in text.split("\n\n") {
        let field = |name: &str| -> Vec<String> {
            stanza
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .find_map(|l| {
                    let (key, value) = l.split_once(':')?;
                    key.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| value.split_whitespace().map(str::to_owned).collect())
                })
                .unwrap_or_default()
        };
        let enabled = field("Enabled");
        if !field("Types").iter().any(|t| t == "deb") || enabled.iter().any(|e| e == "no") {
            continue;
        }
        let (suites, components) = (field("Suites"), field("Components"));
        for uri in field("URIs") {
            sources.push(Source {
                uri,
                suites: suites.clone(),
                components: components.clone(),
            });
        }
    }
    sources
}

/// What to do about debootstrap on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Debootstrap {
    /// It is installed here.
    Found(PathBuf),
    /// It is missing and muelle may install it with apt-get.
    Install,
    /// It is missing and muelle will not install it: the user must.
    Missing {
        /// The exact command that installs it, or how to find one.
        how: String,
    },
}

/// What this host allows: found path, root, apt, the user's consent.
#[derive(Debug, Clone, Copy)]
pub struct Host<'a> {
    /// debootstrap's path, if installed.
    pub found: Option<&'a Path>,
    /// Whether muelle runs as root.
    pub root: bool,
    /// Whether apt-get exists (a Debian-family host).
    pub apt: bool,
    /// Whether the user allows muelle to install packages.
    pub may_install: bool,
}

impl Host<'_> {
    /// Decides, without touching anything.
    pub fn debootstrap(&self) -> Debootstrap {
        if let Some(path) = self.found {
            return Debootstrap::Found(path.to_owned());
        }
        let how = match (self.apt, self.root, self.may_install) {
            (true, true, true) => return Debootstrap::Install,
            (true, true, false) => "run `apt-get install debootstrap`".to_owned(),
            (true, false, _) => "run `sudo apt-get install debootstrap`".to_owned(),
            (false, _, _) => {
                "install it with your system's package manager (Debian, Ubuntu, Fedora and Arch ship it)".to_owned()
            }
        };
        Debootstrap::Missing { how }
    }
}

/// debootstrap's path on this host, if installed.
pub fn find_debootstrap() -> Option<&'static Path> {
    DEBOOTSTRAP_PATHS
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists())
}

/// The mirror to debootstrap from, and where that choice came from: the
/// manifest or `--mirror`, else the host's apt source for the suite, else
/// [`DEFAULT_MIRROR`].
pub fn choose_mirror(configured: Option<&str>, suite: &str) -> (String, &'static str) {
    if let Some(mirror) = configured {
        return (mirror.to_owned(), "the manifest or --mirror");
    }
    match mirror_for(&host_sources(), suite) {
        Some(mirror) => (mirror, "this host's apt sources"),
        None => (DEFAULT_MIRROR.to_owned(), "the default"),
    }
}

/// The HTTP proxy apt is configured with (`Acquire::http::Proxy`), so
/// debootstrap and the recipes' apt-get go the same way as the host's apt.
pub async fn apt_proxy() -> Option<String> {
    let output = tokio::process::Command::new("apt-config")
        .args(["shell", "PROXY", "Acquire::http::Proxy"])
        .output()
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let value = text.trim().strip_prefix("PROXY=")?.trim_matches('\'');
    (!value.is_empty() && value != "DIRECT").then(|| value.to_owned())
}

/// apt-get's arguments that install debootstrap alone.
const INSTALL: &[&str] = &[
    "install",
    "-y",
    "-qq",
    "--no-install-recommends",
    "debootstrap",
];

/// Installs debootstrap with apt-get, refreshing the package lists only when
/// the first try fails (a fresh machine has none); the error is the failed
/// command and its last line.
pub async fn install_debootstrap(status: &dyn Fn(&str)) -> Result<(), (String, String)> {
    if apt_get(INSTALL, status).await.is_ok() {
        return Ok(());
    }
    apt_get(&["update", "-qq"], status).await?;
    apt_get(INSTALL, status).await
}

async fn apt_get(args: &[&str], status: &dyn Fn(&str)) -> Result<(), (String, String)> {
    let command = format!("apt-get {}", args.join(" "));
    status(&command);
    let output = tokio::process::Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .await
        .map_err(|e| (command.clone(), e.to_string()))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err((
        command,
        stderr.lines().last().unwrap_or("").trim().to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_sources_with_options_and_comments() {
        let text = "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.local/debian/ bookworm main contrib\ndeb-src http://x/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main # sec\n";
        let sources = parse_one_line(text);
        assert_eq!(sources.len(), 2);
        assert_eq!(sources[0].uri, "http://mirror.local/debian/");
        assert_eq!(sources[0].components, ["main", "contrib"]);
        assert_eq!(
            mirror_for(&sources, "bookworm").as_deref(),
            Some("http://mirror.local/debian")
        );
        assert_eq!(mirror_for(&sources, "trixie"), None);
    }

    #[test]
    fn deb822_sources_pick_the_suite_not_security() {
        let text = "Types: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\n\nTypes: deb deb-src\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\nURIs: http://proxy:3142/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nEnabled: no\nURIs: http://off/debian\nSuites: bookworm\nComponents: main\n";
        let sources = parse_deb822(text);
        assert_eq!(sources.len(), 2);
        assert_eq!(
            mirror_for(&sources, "bookworm").as_deref(),
            Some("http://proxy:3142/debian")
        );
    }

    #[test]
    fn debootstrap_is_installed_only_as_root_on_apt_hosts_with_consent() {
        let host = |root, apt, may_install| Host {
            found: None,
            root,
            apt,
            may_install,
        };
        assert_eq!(host(true, true, true).debootstrap(), Debootstrap::Install);
        let missing = |h: Host| match h.debootstrap() {
            Debootstrap::Missing { how } => how,
            other => panic!("expected missing, got {other:?}"),
        };
        assert_eq!(
            missing(host(true, true, false)),
            "run `apt-get install debootstrap`"
        );
        assert_eq!(
            missing(host(false, true, true)),
            "run `sudo apt-get install debootstrap`"
        );
        assert!(missing(host(true, false, true)).contains("package manager"));
        let found = Host {
            found: Some(Path::new("/usr/sbin/debootstrap")),
            ..host(false, false, false)
        };
        assert!(matches!(found.debootstrap(), Debootstrap::Found(_)));
    }
}

//! The harness: a just-style `Test` builder over the real `muelle` binary,
//! unique project names, free ports, a tiny HTTP client, polling with a
//! deadline, and a guard that removes what a test made even when it fails.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Label put on everything the tests make, valued with the run's id.
pub const TEST_LABEL: &str = "muelle.test";
/// Label holding the id of the test process that made an object: objects of
/// processes that died without cleaning up (killed on timeout) are swept,
/// while those of tests running concurrently (another engineer's run) stay.
pub const PID_LABEL: &str = "muelle.test.pid";

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// The id of this test run: shared by all test processes of one nextest run,
/// so a run's stale-object sweep never removes a sibling test's objects.
pub fn run_id() -> String {
    std::env::var("NEXTEST_RUN_ID")
        .map(|id| {
            id.chars()
                .filter(char::is_ascii_alphanumeric)
                .take(12)
                .collect()
        })
        .unwrap_or_else(|_| format!("p{}", std::process::id()))
}

/// A fresh project name for one test.
pub fn project_name(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "mt{}{prefix}{}{n}",
        run_id().to_lowercase(),
        std::process::id()
    )
}

/// A TCP port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind(("0.0.0.0", 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Runs `muelle` with arguments, environment and a working directory.
pub struct Test {
    command: Command,
}

impl Test {
    /// `muelle` in `dir`, with the test label and project, stdin closed.
    pub fn new(dir: &Path, project: &str) -> Test {
        let mut command = Command::new(env!("CARGO_BIN_EXE_muelle"));
        command
            .current_dir(dir)
            .env("MUELLE_PROJECT", project)
            .env(
                "MUELLE_LABELS",
                format!(
                    "{TEST_LABEL}={},{PID_LABEL}={}",
                    run_id(),
                    std::process::id()
                ),
            )
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        Test { command }
    }

    /// Adds arguments.
    pub fn args(mut self, args: &[&str]) -> Test {
        self.command.args(args);
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Test {
        self.command.env(key, value);
        self
    }

    /// Runs to completion.
    pub fn output(mut self) -> Output {
        self.command.output().expect("run muelle")
    }

    /// Runs and expects success; returns stdout.
    pub fn success(self) -> String {
        let output = self.output();
        let (stdout, stderr) = texts(&output);
        assert!(
            output.status.success(),
            "muelle failed ({}):\n{stderr}\n{stdout}",
            output.status
        );
        stdout
    }

    /// Runs, expects exit `code`, and returns the error line (stderr must be one line).
    pub fn failure(self, code: i32) -> String {
        let output = self.output();
        let (stdout, stderr) = texts(&output);
        assert_eq!(
            output.status.code(),
            Some(code),
            "stderr:\n{stderr}\nstdout:\n{stdout}"
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{stderr}"
        );
        let last = stderr.lines().last().unwrap_or_default().to_owned();
        assert!(
            last.starts_with("muelle: "),
            "the error is not muelle's one line: {stderr}"
        );
        last
    }

    /// Starts without waiting, output going to files in `dir`.
    pub fn spawn(mut self, dir: &Path) -> std::process::Child {
        let out = std::fs::File::create(dir.join("stdout.txt")).expect("stdout file");
        let err = std::fs::File::create(dir.join("stderr.txt")).expect("stderr file");
        self.command
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn muelle")
    }
}

pub use testkit::texts;

/// Removes a project's containers, networks and volumes on drop, and at
/// creation every object of earlier, crashed runs.
pub struct Cleanup {
    project: String,
    images: Vec<String>,
    prefixes: Vec<String>,
}

impl Cleanup {
    /// Guards `project`; sweeps objects left by other runs first.
    pub fn new(project: &str) -> Cleanup {
        sweep_stale();
        Cleanup {
            project: project.to_owned(),
            images: Vec::new(),
            prefixes: Vec::new(),
        }
    }

    /// Also removes this image at the end.
    pub fn image(mut self, image: &str) -> Cleanup {
        self.images.push(image.to_owned());
        self
    }

    /// Also removes every local image named under `prefix` at the end, e.g.
    /// what a push tagged for a test's registry (`127.0.0.1:<port>/`).
    pub fn images_under(mut self, prefix: &str) -> Cleanup {
        self.prefixes.push(prefix.to_owned());
        self
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        remove_labelled(&format!("com.docker.compose.project={}", self.project));
        let named = docker(&["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]);
        let under = named
            .lines()
            .filter(|name| self.prefixes.iter().any(|p| name.starts_with(p.as_str())));
        for image in self.images.iter().map(String::as_str).chain(under) {
            let _ = docker(&["image", "rm", "-f", image]);
        }
    }
}

fn docker(args: &[&str]) -> String {
    Command::new("docker")
        .args(args)
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Removes every container, network and volume carrying label `filter`.
pub fn remove_labelled(filter: &str) {
    let label = format!("label={filter}");
    let ids = |kind: &[&str]| -> Vec<String> {
        let mut args = kind.to_vec();
        args.extend(["--filter", &label, "-q"]);
        docker(&args)
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    for (list, remove) in [
        (&["ps", "-a"][..], &["rm", "-f", "-v"][..]),
        (&["network", "ls"][..], &["network", "rm"][..]),
        (&["volume", "ls"][..], &["volume", "rm", "-f"][..]),
    ] {
        let found = ids(list);
        if !found.is_empty() {
            let mut args = remove.to_vec();
            args.extend(found.iter().map(String::as_str));
            docker(&args);
        }
    }
}

/// Removes what test processes that are gone left behind.
fn sweep_stale() {
    let format = format!("{{{{.Label \"{PID_LABEL}\"}}}}");
    let filter = format!("label={PID_LABEL}");
    let mut pids: Vec<String> = [
        &["ps", "-a"][..],
        &["network", "ls"][..],
        &["volume", "ls"][..],
    ]
    .iter()
    .flat_map(|list| {
        let mut args = list.to_vec();
        args.extend(["--filter", &filter, "--format", &format]);
        docker(&args)
            .lines()
            .map(str::trim)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    })
    .filter(|pid| !pid.is_empty() && !Path::new("/proc").join(pid).exists())
    .collect();
    pids.sort();
    pids.dedup();
    for pid in pids {
        remove_labelled(&format!("{PID_LABEL}={pid}"));
    }
}

/// Polls `check` until it gives a value or `within` passes.
pub fn eventually<T>(what: &str, within: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A minimal HTTP/1.0 exchange with localhost; returns status and body.
pub fn http(port: u16, request_line: &str, headers: &[&str], body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut request = format!(
        "{request_line} HTTP/1.0\r\nHost: localhost\r\nContent-Length: {}\r\n",
        body.len()
    );
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// A copy of the `hello` fixture project in a temp dir, with the repository's
/// runtime recipe and a stand-in recipe named uniquely for this test.
pub struct Fixture {
    /// The project folder.
    pub dir: tempfile::TempDir,
    /// The stand-in recipe's name; its image is `muelle/<standin>:bookworm`.
    pub standin: String,
}

impl Fixture {
    /// The project folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Makes a fresh copy of the `hello` fixture.
pub fn hello_project() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hello");
    let standin = project_name("standin");
    for name in ["Cargo.toml", "muelle.toml", "compose.yaml", "src/main.rs"] {
        let text = std::fs::read_to_string(fixture.join(name)).expect("fixture file");
        let text = text
            .replace("@REPO@", &repo().to_string_lossy())
            .replace("@STANDIN@", &standin);
        write(&dir.path().join(name), &text);
    }
    let runtime = std::fs::read_to_string(repo().join("deploy/docker/bases/runtime.Dockerfile"))
        .expect("runtime recipe");
    write(&dir.path().join("bases/runtime.Dockerfile"), &runtime);
    let recipe = format!(
        "ARG DEBIAN_IMAGE=muelle/debian:bookworm\nFROM ${{DEBIAN_IMAGE}}\nLABEL muelle.test.recipe={standin}\n"
    );
    write(
        &dir.path().join(format!("bases/{standin}.Dockerfile")),
        &recipe,
    );
    Fixture { dir, standin }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("fixture dir");
    std::fs::write(path, text).expect("write fixture");
}

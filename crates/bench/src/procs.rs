//! The services under test as real processes, and what `/proc` says about
//! any process: memory (RSS and PSS) and CPU time.
//!
//! Each service runs as its own release binary, as in production, so its
//! memory and CPU are its own and not the benchmark's.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::Error;

/// How long a service may take to answer `/healthz` with 200 after start.
const HEALTHY_WITHIN: Duration = Duration::from_secs(30);

/// How long a service may take to stop after SIGTERM before it is killed.
const STOP_WITHIN: Duration = Duration::from_secs(15);

/// A running service binary, killed if the benchmark dies or drops it.
pub struct Service {
    name: &'static str,
    child: Child,
    port: u16,
}

impl Service {
    /// Starts `bin` with `args` and `env` on a free port (given to it as
    /// `PORT`) and waits until its `/healthz` answers 200. Its log goes to
    /// `log`.
    pub async fn start(
        name: &'static str,
        bin: &Path,
        args: &[&str],
        env: &[(&str, String)],
        log: &Path,
    ) -> Result<Service, Error> {
        let port = testkit::free_port();
        let log_file = std::fs::File::create(log).map_err(|source| Error::Io {
            what: format!("creating {}", log.display()),
            source,
        })?;
        let mut command = Command::new(bin);
        command
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file);
        testkit::die_with_test(&mut command);
        let child = command.spawn().map_err(|source| Error::Io {
            what: format!("starting {}", bin.display()),
            source,
        })?;
        let service = Service { name, child, port };
        service.wait_healthy(log).await?;
        Ok(service)
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The process id, for `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    async fn wait_healthy(&self, log: &Path) -> Result<(), Error> {
        let url = format!("{}healthz", self.url());
        let client = reqwest::Client::new();
        let deadline = Instant::now() + HEALTHY_WITHIN;
        while Instant::now() < deadline {
            if let Ok(response) = client.get(&url).send().await {
                if response.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(Error::Unhealthy {
            service: self.name,
            log: log.to_owned(),
        })
    }

    /// Stops the service as Docker does (SIGTERM, then SIGKILL).
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
        if tokio::time::timeout(STOP_WITHIN, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Resident memory of one process.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Memory {
    /// Resident set size, MiB: what `ps` and `docker stats` show.
    pub rss_mib: f64,
    /// Proportional set size, MiB: shared pages split among their users.
    pub pss_mib: f64,
}

/// Memory of `pid` now, from `/proc/<pid>/smaps_rollup`.
pub fn memory(pid: u32) -> Option<Memory> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
    };
    Some(Memory {
        rss_mib: field("Rss:")?,
        pss_mib: field("Pss:")?,
    })
}

/// Samples a process's memory in the background and keeps the peak.
pub struct PeakMemory {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Memory>,
}

impl PeakMemory {
    /// How often memory is read: often enough to catch a load's peak.
    const EVERY: Duration = Duration::from_millis(50);

    /// Starts sampling `pid`.
    pub fn watch(pid: u32) -> PeakMemory {
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let mut peak = Memory::default();
            loop {
                if let Some(now) = memory(pid) {
                    peak.rss_mib = peak.rss_mib.max(now.rss_mib);
                    peak.pss_mib = peak.pss_mib.max(now.pss_mib);
                }
                tokio::select! {
                    _ = tokio::time::sleep(Self::EVERY) => {}
                    _ = &mut stopped => return peak,
                }
            }
        });
        PeakMemory { stop, task }
    }

    /// Stops sampling and returns the peak.
    pub async fn peak(self) -> Memory {
        let _ = self.stop.send(());
        self.task.await.unwrap_or_default()
    }
}

/// Clock ticks per second of `/proc/<pid>/stat` times.
fn ticks_per_second() -> f64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .map_or(100.0, |ticks| ticks as f64)
}

/// CPU time (user + system) of `pid` so far, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name is in parentheses and may hold spaces: count fields
    // after its closing parenthesis. utime and stime are fields 14 and 15.
    let Some((_, after)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / ticks_per_second()
}

/// CPU time (user + system) of this process's children that have ended
/// and been waited for, in seconds.
pub fn children_cpu_seconds() -> f64 {
    use nix::sys::resource::{UsageWho, getrusage};
    getrusage(UsageWho::RUSAGE_CHILDREN).map_or(0.0, |usage| {
        let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
        seconds(usage.user_time()) + seconds(usage.system_time())
    })
}

/// The parent of `pid`, from `/proc/<pid>/stat`.
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, after) = stat.rsplit_once(')')?;
    after.split_whitespace().nth(1)?.parse().ok()
}

/// `pid` and all its children (PostgreSQL forks a process per connection).
pub fn with_children(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            if let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            {
                if parent(child) == Some(pid) {
                    all.push(child);
                }
            }
        }
    }
    all
}

/// A child of this process running `program`, e.g. the testkit's
/// `redis-server`, found by its command name.
pub fn child_named(program: &str) -> Option<u32> {
    with_children(std::process::id())
        .into_iter()
        .skip(1)
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == program)
        })
}

/// CPU use of named groups of processes over a stretch of time.
pub struct CpuMeter {
    started: Instant,
    groups: Vec<(&'static str, Vec<u32>, f64)>,
}

impl CpuMeter {
    /// Starts measuring each `(name, pids)` group.
    pub fn start(groups: Vec<(&'static str, Vec<u32>)>) -> CpuMeter {
        let groups = groups
            .into_iter()
            .map(|(name, pids)| {
                let used = pids.iter().map(|&pid| cpu_seconds(pid)).sum();
                (name, pids, used)
            })
            .collect();
        CpuMeter {
            started: Instant::now(),
            groups,
        }
    }

    /// Cores each group used on average since the start (1.0 = one core busy).
    pub fn cores(&self) -> Vec<(&'static str, f64)> {
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-3);
        self.groups
            .iter()
            .map(|(name, pids, before)| {
                let now: f64 = pids.iter().map(|&pid| cpu_seconds(pid)).sum();
                (*name, (now - before).max(0.0) / elapsed)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_and_cpu_time() {
        let me = std::process::id();
        let memory = memory(me).expect("smaps_rollup is readable");
        assert!(memory.rss_mib > 0.0 && memory.pss_mib > 0.0);
        // Busy until the kernel has counted at least one tick of CPU time.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while cpu_seconds(me) == 0.0 {
            assert!(std::time::Instant::now() < deadline, "no CPU time counted");
        }
        assert_eq!(parent(me), Some(std::os::unix::process::parent_id()));
    }
}

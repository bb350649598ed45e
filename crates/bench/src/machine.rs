//! What the numbers were measured on, so that they can be compared.

use std::process::Command;

/// The machine, the software under it and when.
#[derive(Debug, Clone)]
pub struct Machine {
    /// CPU model and core count.
    pub cpu: String,
    /// Total memory.
    pub memory: String,
    /// Operating system and kernel.
    pub os: String,
    /// Server versions.
    pub redis: String,
    /// PostgreSQL's version.
    pub postgres: String,
    /// The compiler.
    pub rustc: String,
    /// The commit measured, its full sha (`git rev-parse HEAD`).
    pub commit: String,
    /// Whether tracked files (but BENCHMARKS.md and its plot) differed
    /// from that commit: then the figures describe code no commit holds.
    pub dirty: bool,
    /// UTC date and time of the start.
    pub date: String,
}

impl Machine {
    /// Reads `/proc` and asks the tools for their versions.
    pub fn describe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
            .unwrap_or_else(|| "unknown CPU".into());
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .map_or("unknown".into(), |kib| {
                format!("{:.1} GiB", kib / 1024.0 / 1024.0)
            });
        let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        let pretty = release
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map_or("Linux".into(), |v| v.trim_matches('"').to_owned());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        // The benchmark's own outputs do not count: the full run writes
        // BENCHMARKS.md before it measures the developer loop.
        let status = [
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ":(top)",
            ":(top,exclude)BENCHMARKS.md",
            ":(top,exclude)BENCHMARKS.svg",
        ];
        let dirty = !output("git", &status).is_empty();
        Machine {
            cpu: format!("{model}, {cores} cores"),
            memory,
            os: format!("{pretty}, kernel {}", kernel.trim()),
            redis: output("redis-server", &["--version"])
                .split_whitespace()
                .find_map(|w| w.strip_prefix("v="))
                .map_or("unknown".into(), |v| format!("Redis {v}")),
            postgres: output("psql", &["--version"]).replace("psql (PostgreSQL)", "PostgreSQL"),
            rustc: output("rustc", &["-V"]),
            commit: output("git", &["rev-parse", "HEAD"]),
            dirty,
            date: utc_now(),
        }
    }
}

/// The 1-minute load average now: how busy the machine was besides us.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM UTC`, from the system clock.
fn utc_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    )
}

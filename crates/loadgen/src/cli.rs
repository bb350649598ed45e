//! The `loadgen` command line: `vote` and `watch`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::Error;
use crate::config::{DEFAULT_CONNECTIONS, Voters};
use crate::screen::ScreenFrom;
use crate::target::Dial;

/// Vote load generator and vote-to-screen probe for the voting app.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version)]
pub struct Cli {
    /// Runtime threads. On a 2-core machine shared with the service under
    /// test, 1 leaves the other core to the service.
    #[arg(long, global = true, default_value_t = 1, env = "LOADGEN_THREADS")]
    pub threads: usize,
    /// Print a JSON summary on stdout instead of text (and no progress line).
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Vote against the vote service and report throughput, latency and acknowledged votes.
    Vote(VoteArgs),
    /// Hold idle /events streams open on the result service, as people who leave the page open.
    Watch(WatchArgs),
}

/// Options of `loadgen vote`.
#[derive(Debug, Args)]
pub struct VoteArgs {
    /// The vote page.
    #[arg(default_value = "http://localhost:5000/")]
    pub url: String,
    /// Keep-alive connections voting at once.
    #[arg(short, long, default_value_t = DEFAULT_CONNECTIONS)]
    pub connections: usize,
    /// Votes per second in total, on a fixed schedule (open loop). Without
    /// it, each connection votes again as soon as it is answered (closed loop).
    #[arg(short, long)]
    pub rate: Option<f64>,
    /// How long to vote after the warm-up, e.g. 10s, 500ms, 2m [default: 10s].
    #[arg(short, long, value_parser = parse_duration, conflicts_with = "count")]
    pub duration: Option<Duration>,
    /// How many votes to send, instead of a duration.
    #[arg(short = 'n', long)]
    pub count: Option<u64>,
    /// A first stretch left out of throughput and latency.
    #[arg(long, value_parser = parse_duration, default_value = "0s")]
    pub warmup: Duration,
    /// `unique` (a new voter per vote) or how many voters to reuse.
    #[arg(long, value_parser = parse_voters, default_value = "unique")]
    pub voters: Voters,
    /// The result service's /events URL: measure vote-to-screen latency.
    #[arg(long, value_name = "URL")]
    pub screen: Option<String>,
    /// Where vote-to-screen latency starts.
    #[arg(long, value_enum, default_value = "ack")]
    pub screen_from: ScreenFrom,
    /// How long one request may take.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,
    /// Ask for the HTML page, as a browser does, instead of the JSON answer.
    #[arg(long)]
    pub html: bool,
    /// How to reach the URLs.
    #[command(flatten)]
    pub dial: DialArgs,
}

/// Options of `loadgen watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The result service's event stream.
    #[arg(default_value = "http://localhost:5001/events")]
    pub url: String,
    /// How many streams to hold open.
    #[arg(short, long, default_value_t = 1000)]
    pub clients: usize,
    /// How long to hold them [default: until Ctrl-C].
    #[arg(short, long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// How to reach the URL.
    #[command(flatten)]
    pub dial: DialArgs,
}

/// How `https://` and redirected URLs are reached, for every URL of a
/// command. Redirects are never followed: a 3xx answer is a failure.
#[derive(Debug, Args)]
pub struct DialArgs {
    /// Trust the certificates in this PEM file (one or a bundle) for
    /// https URLs instead of the system's roots; may be repeated.
    #[arg(long = "ca", value_name = "FILE")]
    pub ca: Vec<PathBuf>,
    /// Connect to ADDR:PORT for URLs on HOST:PORT, as curl's option: the
    /// URL's host still names the server (SNI, Host header, certificate
    /// check). May be repeated; the first matching rule wins.
    #[arg(long, value_name = "HOST:PORT:ADDR:PORT")]
    pub connect_to: Vec<String>,
}

impl DialArgs {
    /// The options as a [`Dial`]; a malformed `--connect-to` is an error.
    pub fn dial(&self) -> Result<Dial, Error> {
        let mut dial = Dial::default();
        for file in &self.ca {
            dial = dial.ca(file);
        }
        for rule in &self.connect_to {
            dial = dial.connect_to(rule.parse()?);
        }
        Ok(dial)
    }
}

/// Runs the command on a runtime of `cli.threads` threads.
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| Error::Config(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        match cli.command {
            Command::Vote(args) => crate::cmd::vote::run(args, cli.json).await,
            Command::Watch(args) => crate::cmd::watch::run(args, cli.json).await,
        }
    })
}

/// Reads `250ms`, `10s`, `1.5s`, `2m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 10s or 500ms"))?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        other => return Err(format!("unknown unit {other:?}: use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is out of range"))
}

fn parse_voters(text: &str) -> Result<Voters, String> {
    if text == "unique" {
        return Ok(Voters::Unique);
    }
    match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Voters::Reuse(n)),
        _ => Err(format!(
            "{text:?}: expected `unique` or a number of voters to reuse"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3d").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn voters_are_unique_or_a_count() {
        assert_eq!(parse_voters("unique"), Ok(Voters::Unique));
        assert_eq!(parse_voters("100"), Ok(Voters::Reuse(100)));
        assert!(parse_voters("0").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let cli = Cli::parse_from([
            "loadgen", "vote", "-c", "8", "-r", "1000", "-d", "5s", "--json",
        ]);
        let Command::Vote(args) = cli.command else {
            panic!("vote")
        };
        assert_eq!((args.connections, args.rate), (8, Some(1000.0)));
        assert!(cli.json);
        assert!(args.dial.dial().is_ok(), "no TLS options is fine");
        let cli = Cli::parse_from([
            "loadgen",
            "watch",
            "https://voting.lab.test/result/events",
            "--ca",
            "a.pem",
            "--ca",
            "b.pem",
            "--connect-to",
            "voting.lab.test:443:127.0.0.1:8443",
        ]);
        let Command::Watch(args) = cli.command else {
            panic!("watch")
        };
        assert_eq!(args.dial.ca.len(), 2);
        assert!(args.dial.dial().is_ok());
    }
}

//! `loadgen vote`: vote, show progress, report.

use std::process::ExitCode;
use std::time::Duration;

use crate::Error;
use crate::cli::VoteArgs;
use crate::cmd::{TICK, progress_line};
use crate::config::{Limit, Pace, VoteLoad};
use crate::screen::ScreenProbe;

/// The duration when neither a duration nor a count is given.
const DEFAULT_DURATION: Duration = Duration::from_secs(10);

pub(crate) async fn run(args: VoteArgs, json: bool) -> Result<ExitCode, Error> {
    let limit = match (args.duration, args.count) {
        (_, Some(count)) => Limit::Count(count),
        (duration, None) => Limit::Duration(duration.unwrap_or(DEFAULT_DURATION)),
    };
    let dial = args.dial.dial()?;
    let mut load = VoteLoad::new(args.url)
        .dial(dial.clone())
        .connections(args.connections)
        .pace(args.rate.map_or(Pace::Max, Pace::Rate))
        .limit(limit)
        .voters(args.voters)
        .warmup(args.warmup)
        .timeout(args.timeout)
        .html(args.html);
    if let Some(url) = &args.screen {
        load = load.screen(ScreenProbe::connect_with(url, args.screen_from, &dial).await?);
    }
    let running = load.start().await?;
    let bar = progress_line(json);
    let mut last = running.progress();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    while !running.is_done() {
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = &mut ctrl_c => break,
        }
        let now = running.progress();
        let rate = (now.acknowledged - last.acknowledged) as f64
            / (now.elapsed - last.elapsed).as_secs_f64().max(1e-3);
        bar.set_message(format!(
            "{:>8.0} votes/s  acknowledged {}  errors {}",
            rate, now.acknowledged, now.errors
        ));
        bar.tick();
        last = now;
    }
    if args.screen.is_some() {
        bar.set_message("waiting for the screen to show every vote");
    }
    let report = running.finish().await;
    bar.finish_and_clear();
    if json {
        super::print_json(&report);
    } else {
        println!("{report}");
    }
    Ok(if report.acknowledged > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

//! `loadgen watch`: hold idle event streams open, then report.

use std::process::ExitCode;

use crate::Error;
use crate::cli::WatchArgs;
use crate::cmd::{TICK, progress_line};
use crate::idle::IdleClients;

pub(crate) async fn run(args: WatchArgs, json: bool) -> Result<ExitCode, Error> {
    let bar = progress_line(json);
    bar.set_message(format!("opening {} streams", args.clients));
    bar.enable_steady_tick(TICK);
    let clients = IdleClients::open_with(&args.url, args.clients, &args.dial.dial()?).await?;
    let hold = async {
        match args.duration {
            Some(duration) => tokio::time::sleep(duration).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(hold);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        bar.set_message(format!(
            "{} of {} streams open, {} tallies received",
            clients.open_now(),
            args.clients,
            clients.events()
        ));
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = &mut hold => break,
            _ = &mut ctrl_c => break,
        }
    }
    let report = clients.close().await;
    bar.finish_and_clear();
    if json {
        super::print_json(&report);
    } else {
        let failures: Vec<String> = report
            .failures
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!(
            "{} of {} streams open at the end, {} tallies received{}",
            report.open,
            report.requested,
            report.events,
            if failures.is_empty() {
                String::new()
            } else {
                format!("; failed: {}", failures.join(", "))
            }
        );
        for (kind, message) in &report.failure_messages {
            println!("  {kind}: {message}");
        }
    }
    Ok(if report.open == report.requested {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

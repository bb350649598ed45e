//! One module per subcommand of `loadgen`.

pub(crate) mod vote;
pub(crate) mod watch;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the progress line is redrawn.
pub(crate) const TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// A one-line progress display on stderr, hidden when the output is JSON
/// (or stderr is not a terminal, which indicatif detects).
pub(crate) fn progress_line(json: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if json {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
            .expect("the template is valid"),
    );
    bar
}

/// Prints a summary as pretty JSON on stdout, for `--json`.
pub(crate) fn print_json(summary: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(summary).expect("a summary serializes")
    );
}

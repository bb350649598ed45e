//! Progress on stderr: spinners on a terminal, plain lines otherwise (logs,
//! CI, tests), so long steps such as building base images always say what
//! is happening.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a spinner redraws.
const TICK: Duration = Duration::from_millis(100);
/// Longest status text shown beside a spinner.
const MAX_STATUS_CHARS: usize = 70;

/// The progress display of one command.
#[derive(Clone)]
pub struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    /// Spinners when stderr is a terminal, plain lines otherwise.
    pub fn new() -> Progress {
        let multi = std::io::stderr()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress { multi }
    }

    /// Prints a line above the spinners.
    pub fn say(&self, line: &str) {
        match &self.multi {
            Some(multi) => {
                let _ = multi.println(line);
            }
            None => eprintln!("{line}"),
        }
    }

    /// Starts a task line, e.g. `building vote`.
    pub fn task(&self, title: impl Into<String>) -> Task {
        let title = title.into();
        let bar = self.multi.as_ref().map(|multi| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner:.cyan} {prefix:.bold} {wide_msg:.dim} {elapsed:>4}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(title.clone());
            bar.enable_steady_tick(TICK);
            bar
        });
        if bar.is_none() {
            eprintln!("{title}…");
        }
        Task {
            title,
            bar,
            started: Instant::now(),
        }
    }
}

impl Default for Progress {
    fn default() -> Progress {
        Progress::new()
    }
}

/// One line of progress that ends with ✔ or ✘.
pub struct Task {
    title: String,
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Task {
    /// Shows the latest status (a build step, a pull status, a health check).
    pub fn status(&self, text: &str) {
        if let Some(bar) = &self.bar {
            let text: String = text.chars().take(MAX_STATUS_CHARS).collect();
            bar.set_message(text);
        }
    }

    /// Ends the task successfully, with a short note such as `cached`.
    pub fn done(self, note: &str) {
        let line = format!(
            "✔ {} {note} ({:.1}s)",
            self.title,
            self.started.elapsed().as_secs_f32()
        );
        self.finish(line);
    }

    /// Ends the task as failed.
    pub fn fail(self) {
        let line = format!("✘ {}", self.title);
        self.finish(line);
    }

    fn finish(mut self, line: String) {
        match self.bar.take() {
            Some(bar) => {
                bar.set_style(
                    ProgressStyle::with_template("{msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.finish_with_message(line);
            }
            None => eprintln!("{line}"),
        }
    }
}

impl Drop for Task {
    /// A task dropped on an error path stops spinning and shows as failed.
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.abandon_with_message("✘");
        }
    }
}

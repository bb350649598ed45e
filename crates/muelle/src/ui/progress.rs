//! Progress on stderr: spinners on a terminal, plain lines otherwise (logs,
//! CI, tests), so long steps such as building base images always say what
//! is happening.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a spinner redraws.
const TICK: Duration = Duration::from_millis(100);
/// Longest status text shown beside a spinner.
const MAX_STATUS_CHARS: usize = 70;
/// Without a terminal, how often a long task prints its latest status, so a
/// log shows that an eight-minute build is moving.
const PLAIN_STATUS_EVERY: Duration = Duration::from_secs(10);

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
            last_plain: std::sync::Mutex::new(Instant::now()),
        }
    }
}

impl Progress {
    /// Starts a push line with a bar per layer under it (on a terminal).
    pub fn layers(&self, title: impl Into<String>) -> Layers {
        Layers {
            task: self.task(title),
            multi: self.multi.clone(),
            layers: Vec::new(),
            existing: 0,
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
    /// When the latest status was printed without a terminal.
    last_plain: std::sync::Mutex<Instant>,
}

impl Task {
    /// Shows the latest status (a build step, a pull status, a health check).
    /// Without a terminal it prints one every [`PLAIN_STATUS_EVERY`].
    pub fn status(&self, text: &str) {
        let text: String = text.chars().take(MAX_STATUS_CHARS).collect();
        match &self.bar {
            Some(bar) => bar.set_message(text),
            None => {
                let mut last = self.last_plain.lock().unwrap_or_else(|e| e.into_inner());
                if last.elapsed() >= PLAIN_STATUS_EVERY {
                    *last = Instant::now();
                    let elapsed = self.started.elapsed().as_secs();
                    eprintln!("  {}: {text} ({elapsed}s)", self.title);
                }
            }
        }
    }

    /// Prints a line that must be seen (not only a passing status), such as
    /// a package being installed.
    pub fn say(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
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

/// The layers of one push. bollard's push messages carry no layer id, so a
/// layer is told apart by its size (`progressDetail.total`); two layers of
/// the exact same size share a bar, which only affects the display.
pub struct Layers {
    task: Task,
    multi: Option<MultiProgress>,
    layers: Vec<Layer>,
    existing: usize,
}

struct Layer {
    total: u64,
    current: u64,
    bar: Option<ProgressBar>,
    done: bool,
}

impl Layers {
    /// Takes one message of the daemon's push stream.
    pub fn update(&mut self, status: &str, current: Option<i64>, total: Option<i64>) {
        match (status, current, total) {
            ("Pushing", Some(current), Some(total)) if total > 0 => {
                let (current, total) = (current.max(0) as u64, total as u64);
                let i = match self.layers.iter().position(|l| l.total == total) {
                    Some(i) => i,
                    None => self.add(total),
                };
                let layer = &mut self.layers[i];
                layer.current = current.min(total);
                if let Some(bar) = &layer.bar {
                    bar.set_position(layer.current);
                }
            }
            ("Pushed", _, _) => {
                // The layer closest to its end is the one that finished.
                let open = self
                    .layers
                    .iter_mut()
                    .filter(|l| !l.done)
                    .max_by_key(|l| l.current * 1000 / l.total.max(1));
                if let Some(layer) = open {
                    layer.finish();
                }
            }
            ("Layer already exists", _, _) => self.existing += 1,
            (status, _, _) => self.task.status(status),
        }
    }

    fn add(&mut self, total: u64) -> usize {
        let bar = self.multi.as_ref().map(|multi| {
            let bar = multi.add(ProgressBar::new(total));
            bar.set_style(
                ProgressStyle::with_template(
                    "    layer {prefix:<3} [{bar:30.cyan/blue}] {bytes:>10}/{total_bytes}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix((self.layers.len() + 1).to_string());
            bar
        });
        self.layers.push(Layer {
            total,
            current: 0,
            bar,
            done: false,
        });
        self.layers.len() - 1
    }

    /// Ends the push line, saying how many layers went up.
    pub fn done(mut self) {
        for layer in self.layers.iter_mut().filter(|l| !l.done) {
            layer.finish();
        }
        let bytes: u64 = self.layers.iter().map(|l| l.total).sum();
        let note = match (self.layers.len(), self.existing) {
            (0, 0) => "pushed".to_owned(),
            (0, existing) => format!("pushed, {existing} layers already there"),
            (n, existing) => format!(
                "pushed {n} layers ({}), {existing} already there",
                HumanBytes(bytes)
            ),
        };
        self.task.done(&note);
    }

    /// Ends the push line as failed.
    pub fn fail(self) {
        self.task.fail();
    }
}

impl Layer {
    fn finish(&mut self) {
        self.done = true;
        match self.bar.take() {
            Some(bar) => bar.finish_and_clear(),
            None => eprintln!("    layer of {} pushed", HumanBytes(self.total)),
        }
    }
}

//! Colour for what muelle prints on stdout: on a terminal only, and never
//! when `NO_COLOR` is set (no-color.org), so pipes, logs and tests get
//! plain text.

use std::io::IsTerminal;

/// Whether text gets ANSI colours, and the colours themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    enabled: bool,
}

impl Palette {
    /// Colours when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub fn for_stdout() -> Palette {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Palette {
            enabled: std::io::stdout().is_terminal() && !no_color,
        }
    }

    /// Plain text.
    pub fn plain() -> Palette {
        Palette { enabled: false }
    }

    /// Colours always (for tests of the coloured form).
    pub fn coloured() -> Palette {
        Palette { enabled: true }
    }

    /// Good: ready, running, healthy.
    pub fn good(&self, text: &str) -> String {
        self.paint("32", text)
    }

    /// On its way: starting, updating.
    pub fn busy(&self, text: &str) -> String {
        self.paint("33", text)
    }

    /// Wrong: down, failed, rejected, warnings.
    pub fn bad(&self, text: &str) -> String {
        self.paint("31", text)
    }

    /// A heading or a name.
    pub fn strong(&self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Details: ids, digests, times.
    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.enabled && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

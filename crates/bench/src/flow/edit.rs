//! The change a developer saves: vote's page (its style sheet, which vote
//! serves inline) given a marker a client can see, written as an editor
//! writes a file, and the original put back afterwards (also on drop).

use std::path::{Path, PathBuf};

use crate::Error;

/// The file edited, under the repository.
const FILE: &str = "crates/vote/src/page.rs";

/// What the edit changes: the end of the footer's style.
const ANCHOR: &str = "color:#7b8794}";

/// vote's page source, edited for the run.
pub struct PageEdit {
    path: PathBuf,
    original: String,
}

impl PageEdit {
    /// Reads the page's source in `repo`.
    pub fn new(repo: &Path) -> Result<PageEdit, Error> {
        let path = repo.join(FILE);
        let original = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            what: format!("reading {}", path.display()),
            source,
        })?;
        if !original.contains(ANCHOR) {
            return Err(Error::Tool {
                tool: "bench",
                reason: format!("{} no longer has {ANCHOR:?} to change", path.display()),
            });
        }
        Ok(PageEdit { path, original })
    }

    /// Saves the page with `marker` in its style; returns the text the
    /// served page has once it runs.
    pub fn save(&self, marker: usize) -> Result<String, Error> {
        let seen = format!("color:#7b8794;--bench:{marker}}}");
        let text = self.original.replacen(ANCHOR, &seen, 1);
        self.write(&text)?;
        Ok(seen)
    }

    /// Puts the original back.
    pub fn restore(&self) -> Result<(), Error> {
        self.write(&self.original)
    }

    fn write(&self, text: &str) -> Result<(), Error> {
        std::fs::write(&self.path, text).map_err(|source| Error::Io {
            what: format!("writing {}", self.path.display()),
            source,
        })
    }
}

impl Drop for PageEdit {
    fn drop(&mut self) {
        let now = std::fs::read_to_string(&self.path).unwrap_or_default();
        if now != self.original && self.restore().is_err() {
            eprintln!("could not restore {}", self.path.display());
        }
    }
}

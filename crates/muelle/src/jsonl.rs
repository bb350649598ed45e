//! Append-only files of one JSON object per line (the release log, the
//! deploy history): lines are only ever appended, in one write, and a line
//! that does not parse is an error naming it, never skipped.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Appends one line per item, in one write, synced; `what` names the file
/// in errors (e.g. `release log`).
pub fn append<T: Serialize>(path: &Path, items: &[T], what: &str) -> Result<()> {
    let action = || format!("append to the {what} {}", path.display());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(action()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .map_err(Error::io(action()))?;
    let mut text = String::new();
    // A last line without its newline (an edit by hand) must not swallow ours.
    if file.metadata().map_err(Error::io(action()))?.len() > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::End(-1))
            .and_then(|_| file.read_exact(&mut last))
            .map_err(Error::io(action()))?;
        if last[0] != b'\n' {
            text.push('\n');
        }
    }
    for item in items {
        let line = serde_json::to_string(item).map_err(|e| {
            Error::io(action())(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })?;
        text.push_str(&line);
        text.push('\n');
    }
    file.write_all(text.as_bytes())
        .map_err(Error::io(action()))?;
    file.sync_all().map_err(Error::io(action()))
}

/// Every item, oldest first; no file means none yet. Blank lines are
/// allowed; a line that is not an item becomes `bad_line(number, cause)`.
pub fn read<T: DeserializeOwned>(
    path: &Path,
    bad_line: impl Fn(usize, serde_json::Error) -> Error,
) -> Result<Vec<T>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("read {}", path.display()))(e)),
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| serde_json::from_str(line).map_err(|source| bad_line(i + 1, source)))
        .collect()
}

//! Reading a stack from its files, as `docker stack deploy -c a -c b` does:
//! each file is parsed (anchors, aliases and `<<:` merge keys resolved,
//! `x-` keys dropped), interpolated, checked against the model on its own
//! so an error names its file and line, made independent of where it lies
//! (relative `file:` and bind paths made absolute against the file that
//! wrote them), then the files are merged in order (see [`super::merge`])
//! and the result checked the way Swarm would check it.
//!
//! Interpolation takes two passes. The first resolves only the `file:` of
//! the top-level secrets and configs and reads those files; the sha256 of
//! each (12 hex digits) becomes the variable `<KEY>_HASH` (the key
//! uppercased, `-` as `_`) unless the caller or the environment sets it.
//! The second pass interpolates everything else with those variables too,
//! so `name: db_password_${DB_PASSWORD_HASH}` names a secret by its content
//! without anyone computing the hash.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml_ng::{Mapping, Value};
use sha2::{Digest, Sha256};

use super::locate::{KeyPath, Segment, line_of};
use super::merge;
use super::model::{ServiceVolume, StackFile};
use super::{Error, check};
use crate::project::interpolate::interpolate;

/// Hex digits of the content hash in `<KEY>_HASH` variables.
pub const HASH_DIGITS: usize = 12;

/// Where a stack comes from.
#[derive(Debug, Clone, Default)]
pub struct StackSource {
    /// The stack files, the first the base and each next one an override.
    pub files: Vec<PathBuf>,
    /// Variables for interpolation; the process environment fills in the rest.
    pub variables: BTreeMap<String, String>,
}

/// Reads, interpolates, merges and checks the stack files of `source`.
pub fn load(source: &StackSource) -> Result<StackFile, Error> {
    if source.files.is_empty() {
        return Err(Error::NoFiles);
    }
    let mut documents = source
        .files
        .iter()
        .map(|path| Document::read(path))
        .collect::<Result<Vec<_>, _>>()?;
    let mut variables = Variables {
        given: &source.variables,
        hashes: BTreeMap::new(),
    };
    let contents = read_file_objects(&mut documents, &mut variables)?;
    let mut merged = Value::Mapping(Mapping::new());
    for document in &mut documents {
        let path = KeyPath::default();
        interpolate_all(&mut document.value, &path, &|name| variables.get(name))
            .map_err(|(path, problem)| document.invalid(&path, problem))?;
        document.parse()?;
        document.absolute_bind_sources();
        let mut value = document.value.clone();
        merge::normalize(&mut value, &|name| variables.get(name));
        merge::merge(&mut merged, value);
    }
    let mut file: StackFile = serde_path_to_error::deserialize(merged).map_err(|e| {
        let path = KeyPath::from_serde(e.path());
        invalid_in(&documents, &path, e.into_inner().to_string())
    })?;
    for (kind, objects) in [
        ("secrets", &mut file.secrets),
        ("configs", &mut file.configs),
    ] {
        for (key, object) in objects.iter_mut() {
            object.data = contents.get(&(kind, key.clone())).cloned();
        }
    }
    check::check(&file).map_err(|(path, problem)| invalid_in(&documents, &path, problem))?;
    Ok(file)
}

/// The `<KEY>_HASH` variable of a secret or config key.
pub fn hash_variable(key: &str) -> String {
    let key: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{key}_HASH")
}

/// The first [`HASH_DIGITS`] hex digits of the sha256 of `content`.
pub fn content_hash(content: &[u8]) -> String {
    let mut hash = hex::encode(Sha256::digest(content));
    hash.truncate(HASH_DIGITS);
    hash
}

/// Variables as the stack files see them.
struct Variables<'a> {
    given: &'a BTreeMap<String, String>,
    hashes: BTreeMap<String, String>,
}

impl Variables<'_> {
    /// The caller's value, else the environment's, else a computed hash.
    fn get(&self, name: &str) -> Option<String> {
        self.given
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
            .or_else(|| self.hashes.get(name).cloned())
    }
}

/// One stack file: its text (for lines) and its tree (being worked on).
struct Document {
    path: PathBuf,
    text: String,
    value: Value,
}

impl Document {
    fn read(path: &Path) -> Result<Document, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        let syntax = |e: serde_yaml_ng::Error| Error::Invalid {
            file: path.to_owned(),
            line: e.location().map(|l| l.line()),
            problem: e.to_string(),
        };
        let mut value: Value = serde_yaml_ng::from_str(&text).map_err(syntax)?;
        value.apply_merge().map_err(syntax)?;
        if value.is_null() {
            value = Value::Mapping(Mapping::new());
        }
        strip_extensions(&mut value);
        Ok(Document {
            path: path.to_owned(),
            text,
            value,
        })
    }

    /// The folder relative paths in this file start from.
    fn folder(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    fn invalid(&self, path: &KeyPath, problem: impl std::fmt::Display) -> Error {
        Error::Invalid {
            file: self.path.clone(),
            line: line_of(&self.text, path),
            problem: if path.0.is_empty() {
                problem.to_string()
            } else {
                format!("{path}: {problem}")
            },
        }
    }

    /// Checks this file alone against the model, for errors on its lines.
    fn parse(&self) -> Result<StackFile, Error> {
        serde_path_to_error::deserialize(self.value.clone()).map_err(|e| {
            let path = KeyPath::from_serde(e.path());
            self.invalid(&path, e.into_inner())
        })
    }

    /// Makes relative bind mount sources absolute against this file's folder.
    fn absolute_bind_sources(&mut self) {
        let folder = self.folder().to_owned();
        let Some(Value::Mapping(services)) = self.value.get_mut("services") else {
            return;
        };
        for (_, service) in services.iter_mut() {
            let Some(Value::Sequence(volumes)) = service.get_mut("volumes") else {
                continue;
            };
            for volume in volumes {
                match volume {
                    Value::String(short) => {
                        if let Some((source, rest)) = short.split_once(':') {
                            if ServiceVolume::is_path(source) {
                                *short = format!("{}:{rest}", absolute(&folder, source));
                            }
                        }
                    }
                    Value::Mapping(long) => {
                        let is_bind = long.get("type").and_then(Value::as_str) == Some("bind");
                        if let (true, Some(Value::String(source))) =
                            (is_bind, long.get_mut("source"))
                        {
                            *source = absolute(&folder, source);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// `path` made absolute against `folder`, `~/` against the home directory.
fn absolute(folder: &Path, path: &str) -> String {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let joined = match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => folder.join(path),
    };
    let mut clean = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if clean.file_name().is_some() => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean.to_string_lossy().into_owned()
}

/// Drops `x-` keys at the top and in each entry of the top-level sections,
/// where the compose specification allows extensions.
fn strip_extensions(value: &mut Value) {
    let is_extension = |k: &Value| k.as_str().is_some_and(|k| k.starts_with("x-"));
    let Value::Mapping(top) = value else { return };
    top.retain(|k, _| !is_extension(k));
    for (_, section) in top.iter_mut() {
        if let Value::Mapping(entries) = section {
            for (_, entry) in entries.iter_mut() {
                if let Value::Mapping(entry) = entry {
                    entry.retain(|k, _| !is_extension(k));
                }
            }
        }
    }
}

/// Pass one: interpolates the `file:` of every top-level secret and config,
/// makes it absolute, reads it and sets the `<KEY>_HASH` variables.
/// Returns the contents by (section, key), as the last file declares them.
fn read_file_objects(
    documents: &mut [Document],
    variables: &mut Variables,
) -> Result<BTreeMap<(&'static str, String), Vec<u8>>, Error> {
    let mut declared: BTreeMap<(&'static str, String), (usize, PathBuf)> = BTreeMap::new();
    for (index, document) in documents.iter_mut().enumerate() {
        let folder = document.folder().to_owned();
        for section in ["secrets", "configs"] {
            let Some(Value::Mapping(objects)) = document.value.get_mut(section) else {
                continue;
            };
            let mut problem = None;
            for (key, object) in objects.iter_mut() {
                let key = key.as_str().unwrap_or_default().to_owned();
                let file = object.get_mut("file");
                let Some(Value::String(text)) = file else {
                    declared.remove(&(section, key));
                    continue;
                };
                let path = KeyPath::of(&[section, &key, "file"]);
                match interpolate(text, &|name| variables.get(name)) {
                    Ok(interpolated) => {
                        let file = absolute(&folder, &interpolated);
                        // Pass two must not read a `$` of the path as a variable.
                        *text = file.replace('$', "$$");
                        declared.insert((section, key), (index, PathBuf::from(file)));
                    }
                    Err(message) => {
                        problem = Some((path, message));
                        break;
                    }
                }
            }
            if let Some((path, message)) = problem {
                return Err(document.invalid(&path, message));
            }
        }
    }
    let mut contents = BTreeMap::new();
    for ((section, key), (index, file)) in declared {
        let content = std::fs::read(&file).map_err(|e| {
            let path = KeyPath::of(&[section, &key, "file"]);
            documents[index].invalid(&path, format!("cannot read {}: {e}", file.display()))
        })?;
        let name = hash_variable(&key);
        if variables.get(&name).is_none() {
            variables.hashes.insert(name, content_hash(&content));
        }
        contents.insert((section, key), content);
    }
    Ok(contents)
}

/// Interpolates every string value under `value`, at `path`.
fn interpolate_all(
    value: &mut Value,
    path: &KeyPath,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), (KeyPath, String)> {
    match value {
        Value::String(s) => *s = interpolate(s, lookup).map_err(|e| (path.clone(), e))?,
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate_all(item, &path.index(i), lookup)?;
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map.iter_mut() {
                let key = key.as_str().map(str::to_owned).unwrap_or_default();
                interpolate_all(item, &path.key(&key), lookup)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// An error on a key of the merged stack, told in the last file that
/// writes the most of its path (an override wins over the base).
fn invalid_in(documents: &[Document], path: &KeyPath, problem: String) -> Error {
    let depth = |document: &Document| {
        let mut node = &document.value;
        let mut depth = 0;
        for segment in &path.0 {
            let next = match segment {
                Segment::Key(key) => node.get(key.as_str()),
                Segment::Index(index) => node.get(*index),
            };
            match next {
                Some(next) => {
                    node = next;
                    depth += 1;
                }
                None => break,
            }
        }
        depth
    };
    // max_by_key keeps the last of equals: the latest file.
    match documents.iter().max_by_key(|d| depth(d)) {
        Some(document) => document.invalid(path, problem),
        None => Error::NoFiles,
    }
}

#[cfg(test)]
mod tests;

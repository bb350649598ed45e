//! The lab's state directory on the host: pebble's certificates, the
//! database password the stack reads and the lab's deploy history, kept
//! across `lab up` runs and removed by `lab down`. `$MUELLE_LAB_STATE/<lab>`, else
//! `$XDG_STATE_HOME/muelle/lab/<lab>`, else `~/.local/state/muelle/lab/<lab>`.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::Error;

/// The environment variable naming the folder of lab state directories.
pub const STATE_ENV: &str = "MUELLE_LAB_STATE";
/// Pebble's directory TLS CA, in the state directory.
pub const PEBBLE_CA: &str = "pebble-ca.pem";
/// The root that signs the certificates pebble issues.
pub const PEBBLE_ROOT: &str = "pebble-root.pem";
/// The database password, in the state directory.
pub const DB_PASSWORD: &str = "db-password";
/// Random bytes in a generated password (hex doubles them).
const PASSWORD_BYTES: usize = 18;

/// Where lab `name` keeps its state, from the process environment.
pub fn default_dir(name: &str) -> Result<PathBuf, Error> {
    let var = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty());
    dir_for(name, var(STATE_ENV), var("XDG_STATE_HOME"), var("HOME"))
}

/// [`default_dir`] from the variables' values.
fn dir_for(
    name: &str,
    lab_state: Option<std::ffi::OsString>,
    xdg_state: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Result<PathBuf, Error> {
    let base = match (lab_state, xdg_state, home) {
        (Some(dir), _, _) => PathBuf::from(dir),
        (None, Some(state), _) => Path::new(&state).join("muelle/lab"),
        (None, None, Some(home)) => Path::new(&home).join(".local/state/muelle/lab"),
        (None, None, None) => return Err(Error::NoStateDir),
    };
    Ok(base.join(name))
}

/// Makes the state directory (mode 0700: it holds a password).
pub fn create(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| Error::StateDir {
            path: dir.to_owned(),
            source,
        })
}

/// Writes `bytes` to `file` unless it already holds exactly them; returns
/// whether it wrote.
pub fn write_if_changed(file: &Path, bytes: &[u8]) -> Result<bool, Error> {
    if std::fs::read(file).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    std::fs::write(file, bytes).map_err(|source| Error::StateDir {
        path: file.to_owned(),
        source,
    })?;
    Ok(true)
}

/// The database password file, generated once (mode 0600) and kept.
pub fn db_password(dir: &Path) -> Result<PathBuf, Error> {
    let path = dir.join(DB_PASSWORD);
    if path.exists() {
        return Ok(path);
    }
    let failed = |source| Error::StateDir {
        path: path.clone(),
        source,
    };
    let mut random = [0u8; PASSWORD_BYTES];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut random))
        .map_err(failed)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(failed)?;
    file.write_all(hex::encode(random).as_bytes())
        .map_err(failed)?;
    Ok(path)
}

/// Removes the state directory; one already gone is fine.
pub fn remove(dir: &Path) -> Result<bool, Error> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(Error::StateDir {
            path: dir.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{db_password, dir_for};

    #[test]
    fn the_state_directory_follows_the_environment() {
        let dir = |a: Option<&str>, b: Option<&str>, c: Option<&str>| {
            dir_for(
                "lab",
                a.map(Into::into),
                b.map(Into::into),
                c.map(Into::into),
            )
        };
        assert_eq!(
            dir(Some("/t"), Some("/s"), Some("/h")).unwrap(),
            Path::new("/t/lab")
        );
        assert_eq!(
            dir(None, Some("/s"), Some("/h")).unwrap(),
            Path::new("/s/muelle/lab/lab")
        );
        assert_eq!(
            dir(None, None, Some("/h")).unwrap(),
            Path::new("/h/.local/state/muelle/lab/lab")
        );
        assert!(dir(None, None, None).is_err());
    }

    #[test]
    fn the_password_is_made_once_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = db_password(dir.path()).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        assert_eq!(first.len(), 36);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        db_password(dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
    }
}

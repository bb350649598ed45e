//! `DATABASE_PASSWORD_FILE`: the database password read from a file (a Docker
//! secret in the Swarm stack) and put into `DATABASE_URL` in place of the
//! password written there, so that the password never sits in the
//! environment or the stack file.

use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use secrecy::{ExposeSecret, SecretString};

use super::ConfigError;

/// The variable naming the file that holds the database password.
pub const PASSWORD_FILE: &str = "DATABASE_PASSWORD_FILE";

/// What a password may keep as it is inside a URL's userinfo: RFC 3986's
/// unreserved characters. Everything else is percent-encoded, so that `@`,
/// `:`, `/`, `%` or `?` in a password cannot end or split it.
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The prefixes by which the PostgreSQL client tells a URL from its
/// `key=value` form.
const URL_PREFIXES: [&str; 2] = ["postgres://", "postgresql://"];

/// Reads the password in the file at `path`. Trailing line ends are dropped
/// (secret files usually end with one, and no password does); anything else,
/// spaces included, is part of the password.
pub fn read(path: &str) -> Result<SecretString, ConfigError> {
    let error = |reason: String| ConfigError {
        name: PASSWORD_FILE,
        reason,
    };
    if path.is_empty() {
        return Err(error("must name a file holding the password".into()));
    }
    let shown = Path::new(path).display();
    let text = SecretString::from(
        std::fs::read_to_string(path).map_err(|e| error(format!("cannot read {shown}: {e}")))?,
    );
    let password = text.expose_secret().trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err(error(format!("{shown} holds no password (it is empty)")));
    }
    Ok(SecretString::from(password))
}

/// `url` with its password replaced by `password`, or given one when it has
/// none. The user is the URL's own. Credentials end at the first `@`, as the
/// PostgreSQL client reads them, so the result means to the client exactly
/// what `url` did, but for the password.
pub fn with_password(url: &str, password: &SecretString) -> Result<SecretString, ConfigError> {
    let error = |reason: String| ConfigError {
        name: "DATABASE_URL",
        reason,
    };
    let Some((prefix, rest)) = URL_PREFIXES
        .iter()
        .find_map(|prefix| Some((*prefix, url.strip_prefix(prefix)?)))
    else {
        return Err(error(format!(
            "must be a postgres:// URL for the password from {PASSWORD_FILE} to go into"
        )));
    };
    let user_and_rest = rest
        .split_once('@')
        .map(|(credentials, after)| (credentials.split(':').next().unwrap_or_default(), after))
        .filter(|(user, _)| !user.is_empty());
    let Some((user, after)) = user_and_rest else {
        return Err(error(format!(
            "names no user for the password from {PASSWORD_FILE} (postgres://USER@HOST/DB)"
        )));
    };
    let encoded = utf8_percent_encode(password.expose_secret(), USERINFO);
    Ok(SecretString::from(format!(
        "{prefix}{user}:{encoded}@{after}"
    )))
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::str::FromStr;

    use super::*;

    fn rewrite(url: &str, password: &str) -> Result<String, ConfigError> {
        with_password(url, &SecretString::from(password)).map(|url| url.expose_secret().to_owned())
    }

    fn parsed(url: &str) -> tokio_postgres::Config {
        tokio_postgres::Config::from_str(url).expect("a URL the client reads")
    }

    #[test]
    fn special_characters_are_percent_encoded_and_read_back_as_they_were() {
        for password in ["p@ss:w/rd%", "%41@@::/?#[] ü", "100%", "a+b=c&d"] {
            let url = rewrite("postgres://app@db:5433/votes?connect_timeout=5", password).unwrap();
            let config = parsed(&url);
            assert_eq!(config.get_password(), Some(password.as_bytes()), "{url}");
            assert_eq!(config.get_user(), Some("app"), "{url}");
            assert_eq!(config.get_dbname(), Some("votes"), "{url}");
            assert_eq!(config.get_ports(), [5433], "{url}");
            assert_eq!(
                config.get_connect_timeout(),
                Some(&std::time::Duration::from_secs(5))
            );
        }
        assert_eq!(
            rewrite("postgres://app@db/votes", "p@ss:w/rd%").unwrap(),
            "postgres://app:p%40ss%3Aw%2Frd%25@db/votes"
        );
    }

    #[test]
    fn a_url_without_a_password_is_given_one() {
        let url = rewrite("postgresql://postgres@db/postgres", "s3cret").unwrap();
        assert_eq!(url, "postgresql://postgres:s3cret@db/postgres");
        let url = rewrite("postgres://app@h1:5432,h2:5432/votes", "s3cret").unwrap();
        assert_eq!(parsed(&url).get_hosts().len(), 2);
        assert_eq!(parsed(&url).get_password(), Some(&b"s3cret"[..]));
    }

    #[test]
    fn a_url_with_a_password_has_it_replaced() {
        let url = rewrite("postgres://postgres:postgres@db/postgres", "new").unwrap();
        assert_eq!(url, "postgres://postgres:new@db/postgres");
        let url = rewrite("postgres://app:old%40pw@db", "n@w").unwrap();
        assert_eq!(url, "postgres://app:n%40w@db");
        assert_eq!(parsed(&url).get_password(), Some(&b"n@w"[..]));
    }

    #[test]
    fn a_url_with_no_user_or_not_a_url_is_refused_naming_database_url() {
        for url in [
            "postgres://db/postgres",
            "postgres://:old@db/postgres",
            "host=db user=postgres",
            "mysql://root@db/votes",
        ] {
            let error = rewrite(url, "s3cret").unwrap_err();
            assert_eq!(error.name, "DATABASE_URL", "{url}");
            assert!(error.reason.contains(PASSWORD_FILE), "{url}: {error}");
            assert!(!error.to_string().contains("s3cret"), "{url}: {error}");
        }
    }

    fn file_with(contents: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(contents.as_bytes()).unwrap();
        file
    }

    fn read_back(contents: &str) -> Result<String, ConfigError> {
        let file = file_with(contents);
        read(file.path().to_str().unwrap()).map(|p| p.expose_secret().to_owned())
    }

    #[test]
    fn the_file_loses_its_trailing_line_end_and_nothing_else() {
        assert_eq!(read_back("s3cret\n").unwrap(), "s3cret");
        assert_eq!(read_back("s3cret\r\n").unwrap(), "s3cret");
        assert_eq!(read_back("s3cret").unwrap(), "s3cret");
        assert_eq!(read_back(" two words \n").unwrap(), " two words ");
    }

    #[test]
    fn a_missing_or_empty_file_is_refused_naming_the_variable_and_the_file() {
        for contents in ["", "\n", "\r\n\n"] {
            let file = file_with(contents);
            let path = file.path().to_str().unwrap();
            let error = read(path).unwrap_err().to_string();
            assert!(error.starts_with("DATABASE_PASSWORD_FILE: "), "{error}");
            assert!(
                error.contains(path) && error.contains("no password"),
                "{error}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("db_password");
        let missing = missing.to_str().unwrap();
        let error = read(missing).unwrap_err().to_string();
        assert!(error.starts_with("DATABASE_PASSWORD_FILE: "), "{error}");
        assert!(
            error.contains(missing) && error.contains("cannot read"),
            "{error}"
        );
        assert_eq!(error.lines().count(), 1, "{error}");
        assert_eq!(read("").unwrap_err().name, PASSWORD_FILE);
    }
}

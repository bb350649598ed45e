//! Where requests go: an `http://` or `https://` URL resolved once to a
//! socket address, optionally redirected as curl's `--connect-to` does.
//!
//! Resolving once, before the load starts, keeps name lookups out of the
//! measured path and turns a typo in the URL into one clear error up front.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use crate::Error;
use crate::tls::Tls;

/// A parsed and resolved `http[s]://host[:port][/path]` URL.
#[derive(Debug, Clone)]
pub struct Target {
    /// The URL as given, for messages.
    url: String,
    /// `http` or `https`.
    scheme: &'static str,
    /// The value of the `Host` header.
    host: String,
    /// The request path, `/` when the URL has none.
    path: String,
    /// Where to connect.
    addr: SocketAddr,
    /// For `https`: the server name and the roots to trust.
    tls: Option<Tls>,
}

/// How targets are reached beyond what their URLs say: the roots to trust
/// for `https` (`--ca`) and where to connect instead (`--connect-to`).
#[derive(Debug, Clone, Default)]
pub struct Dial {
    ca: Vec<PathBuf>,
    connect_to: Vec<ConnectTo>,
}

impl Dial {
    /// Trusts the certificates in this PEM file (one or a bundle) instead of
    /// the system's roots; may be given more than once.
    pub fn ca(mut self, file: impl Into<PathBuf>) -> Dial {
        self.ca.push(file.into());
        self
    }

    /// Connects elsewhere for URLs with the rule's host and port; the first
    /// matching rule wins.
    pub fn connect_to(mut self, rule: ConnectTo) -> Dial {
        self.connect_to.push(rule);
        self
    }
}

/// `HOST:PORT:ADDR:PORT`, as curl's `--connect-to`: a URL for HOST:PORT is
/// still named so (SNI, `Host` header, certificate check) but its TCP
/// connection goes to ADDR:PORT. IPv6 addresses go in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    host: String,
    port: u16,
    to_host: String,
    to_port: u16,
}

impl FromStr for ConnectTo {
    type Err = Error;

    fn from_str(text: &str) -> Result<ConnectTo, Error> {
        let bad = || Error::BadConnectTo(text.to_owned());
        let mut rest = text;
        let mut part = || -> Result<&str, Error> {
            let (part, after) = match rest.strip_prefix('[') {
                Some(inner) => {
                    let (host, after) = inner.split_once(']').ok_or_else(bad)?;
                    (host, after.strip_prefix(':').unwrap_or(after))
                }
                None => rest.split_once(':').unwrap_or((rest, "")),
            };
            rest = after;
            if part.is_empty() {
                Err(bad())
            } else {
                Ok(part)
            }
        };
        let port = |text: &str| text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad);
        let (host, port_text, to_host, to_port_text) = (part()?, part()?, part()?, part()?);
        if !rest.is_empty() {
            return Err(bad());
        }
        Ok(ConnectTo {
            host: host.to_ascii_lowercase(),
            port: port(port_text)?,
            to_host: to_host.to_owned(),
            to_port: port(to_port_text)?,
        })
    }
}

impl Target {
    /// Parses `url` and resolves its host, or the address a `--connect-to`
    /// rule of `dial` names for it. For `https`, also sets up TLS with the
    /// roots `dial` trusts.
    pub async fn resolve(url: &str, dial: &Dial) -> Result<Target, Error> {
        let bad = |reason: &str| Error::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
        let (scheme, default_port) = match uri.scheme_str() {
            Some("http") => ("http", 80),
            Some("https") => ("https", 443),
            Some(other) => {
                return Err(bad(&format!(
                    "scheme {other:?} is not supported, use http or https"
                )));
            }
            None => {
                return Err(bad(
                    "expected an absolute URL such as http://127.0.0.1:5000/",
                ));
            }
        };
        let authority = uri.authority().ok_or_else(|| bad("the URL has no host"))?;
        let port = authority.port_u16().unwrap_or(default_port);
        let host_name = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let (connect_host, connect_port) = dial
            .connect_to
            .iter()
            .find(|rule| rule.port == port && rule.host.eq_ignore_ascii_case(host_name))
            .map_or((host_name, port), |rule| {
                (rule.to_host.as_str(), rule.to_port)
            });
        let addr = tokio::net::lookup_host((connect_host, connect_port))
            .await
            .map_err(|e| Error::Resolve {
                host: format!("{connect_host}:{connect_port}"),
                source: e,
            })?
            .next()
            .ok_or_else(|| bad("the host has no address"))?;
        let path = match uri.path_and_query() {
            Some(pq) if !pq.as_str().is_empty() => pq.as_str().to_owned(),
            _ => "/".to_owned(),
        };
        let tls = match scheme {
            "https" => Some(Tls::new(host_name, &dial.ca)?),
            _ => None,
        };
        Ok(Target {
            url: url.to_owned(),
            scheme,
            host: authority.to_string(),
            path,
            addr,
            tls,
        })
    }

    /// The same server with another path, e.g. `/events` next to `/`.
    pub fn with_path(&self, path: &str) -> Target {
        Target {
            url: format!("{}://{}{path}", self.scheme, self.host),
            path: path.to_owned(),
            ..self.clone()
        }
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `Host` header value.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The request path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The resolved address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// TLS towards the server, for `https`.
    pub(crate) fn tls(&self) -> Option<&Tls> {
        self.tls.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_resolve_with_defaults() {
        let target = Target::resolve("http://127.0.0.1:5000", &Dial::default())
            .await
            .unwrap();
        assert_eq!(target.addr().to_string(), "127.0.0.1:5000");
        assert_eq!(target.path(), "/");
        assert_eq!(target.host(), "127.0.0.1:5000");
        let events = Target::resolve("http://[::1]/events", &Dial::default())
            .await
            .unwrap();
        assert_eq!(events.addr().port(), 80);
        assert_eq!(events.path(), "/events");
        assert_eq!(
            target.with_path("/events").url(),
            "http://127.0.0.1:5000/events"
        );
    }

    #[tokio::test]
    async fn bad_urls_say_why() {
        for (url, reason) in [
            ("ftp://example.com/", "not supported"),
            ("127.0.0.1:5000", "absolute URL"),
            ("http://exa mple/", "invalid"),
        ] {
            let error = Target::resolve(url, &Dial::default())
                .await
                .unwrap_err()
                .to_string();
            assert!(error.contains(reason), "{url}: {error}");
        }
    }

    #[test]
    fn connect_to_rules_read_like_curls() {
        let rule: ConnectTo = "Voting.Lab.Test:443:127.0.0.1:8443".parse().unwrap();
        assert_eq!(
            rule,
            ConnectTo {
                host: "voting.lab.test".into(),
                port: 443,
                to_host: "127.0.0.1".into(),
                to_port: 8443,
            }
        );
        let v6: ConnectTo = "[::1]:80:[::1]:8080".parse().unwrap();
        assert_eq!((v6.host.as_str(), v6.to_host.as_str()), ("::1", "::1"));
        for bad in [
            "",
            "voting.lab.test:443:127.0.0.1",
            "voting.lab.test:443:127.0.0.1:8443:9",
            "voting.lab.test:https:127.0.0.1:8443",
            ":443:127.0.0.1:8443",
            "voting.lab.test:443:127.0.0.1:0",
            "[::1:80:[::1]:8080",
        ] {
            let error = bad.parse::<ConnectTo>().unwrap_err().to_string();
            assert!(error.contains("HOST:PORT:ADDR:PORT"), "{bad}: {error}");
        }
    }

    #[tokio::test]
    async fn connect_to_changes_the_address_only_for_its_host_and_port() {
        let dial = Dial::default()
            .connect_to("localhost:5000:127.0.0.1:5999".parse().unwrap())
            .connect_to("localhost:443:127.0.0.1:1".parse().unwrap());
        let moved = Target::resolve("http://LOCALHOST:5000/", &dial)
            .await
            .unwrap();
        assert_eq!(moved.addr().to_string(), "127.0.0.1:5999");
        assert_eq!(
            moved.host(),
            "LOCALHOST:5000",
            "the Host header is the URL's"
        );
        let kept = Target::resolve("http://127.0.0.1:5001/", &dial)
            .await
            .unwrap();
        assert_eq!(kept.addr().to_string(), "127.0.0.1:5001");
    }
}

//! Where requests go: an `http://` URL resolved once to a socket address.
//!
//! Resolving once, before the load starts, keeps name lookups out of the
//! measured path and turns a typo in the URL into one clear error up front.

use std::net::SocketAddr;

use crate::Error;

/// A parsed and resolved `http://host[:port][/path]` URL.
#[derive(Debug, Clone)]
pub struct Target {
    /// The URL as given, for messages.
    url: String,
    /// The value of the `Host` header.
    host: String,
    /// The request path, `/` when the URL has none.
    path: String,
    /// Where to connect.
    addr: SocketAddr,
}

impl Target {
    /// Parses `url` and resolves its host. Only plain `http` is supported:
    /// the services speak it, and TLS would measure the proxy, not them.
    pub async fn resolve(url: &str) -> Result<Target, Error> {
        let bad = |reason: &str| Error::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => {
                return Err(bad(&format!("scheme {other:?} is not supported, use http")));
            }
            None => {
                return Err(bad(
                    "expected an absolute URL such as http://127.0.0.1:5000/",
                ));
            }
        }
        let authority = uri.authority().ok_or_else(|| bad("the URL has no host"))?;
        let port = authority.port_u16().unwrap_or(80);
        let host_name = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let addr = tokio::net::lookup_host((host_name, port))
            .await
            .map_err(|e| Error::Resolve {
                host: authority.to_string(),
                source: e,
            })?
            .next()
            .ok_or_else(|| bad("the host has no address"))?;
        let path = match uri.path_and_query() {
            Some(pq) if !pq.as_str().is_empty() => pq.as_str().to_owned(),
            _ => "/".to_owned(),
        };
        Ok(Target {
            url: url.to_owned(),
            host: authority.to_string(),
            path,
            addr,
        })
    }

    /// The same server with another path, e.g. `/events` next to `/`.
    pub fn with_path(&self, path: &str) -> Target {
        Target {
            url: format!("http://{}{path}", self.host),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_resolve_with_defaults() {
        let target = Target::resolve("http://127.0.0.1:5000").await.unwrap();
        assert_eq!(target.addr().to_string(), "127.0.0.1:5000");
        assert_eq!(target.path(), "/");
        assert_eq!(target.host(), "127.0.0.1:5000");
        let events = Target::resolve("http://[::1]/events").await.unwrap();
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
            ("https://example.com/", "not supported"),
            ("127.0.0.1:5000", "absolute URL"),
            ("http://exa mple/", "invalid"),
        ] {
            let error = Target::resolve(url).await.unwrap_err().to_string();
            assert!(error.contains(reason), "{url}: {error}");
        }
    }
}

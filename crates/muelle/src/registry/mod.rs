//! A client of the registry HTTP API v2, for what the Engine API cannot
//! tell: which tags a repository has, and which manifest digest a tag names.
//! It answers a registry's `401` with Basic auth or the Bearer token flow.

pub mod auth;
pub mod credentials;
#[cfg(test)]
mod paging_tests;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, LINK, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use serde::Deserialize;

pub use crate::error::registry::Error;
use crate::registry::credentials::Credentials;
use auth::Challenge;

/// Shorthand for results of registry calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Manifest types muelle accepts, so a HEAD answers with the digest of what
/// was pushed: Docker v2 and OCI manifests and indexes.
pub const MANIFEST_TYPES: &str = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";
/// How long to wait for a connection; a registry that does not answer by
/// then is reported unreachable rather than hanging the command.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for one answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// One registry, with the credentials to use there.
pub struct Registry {
    host: String,
    base: String,
    http: reqwest::Client,
    credentials: Option<Credentials>,
    hint: String,
    /// `Authorization` values that worked, by scope.
    authorizations: HashMap<String, String>,
}

/// `http://` for loopback registries (as the Docker engine allows), `https://` otherwise.
pub fn base_url(host: &str) -> String {
    let scheme = if is_loopback(host) { "http" } else { "https" };
    format!("{scheme}://{host}")
}

/// Whether a registry host (`name`, `name:port`, `[v6]:port`) is this
/// machine: `localhost` or a loopback address, never a name that only looks
/// like one (`127.example.com`), since credentials go there in the clear.
fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((address, rest))
                if rest.is_empty() || rest.strip_prefix(':').is_some_and(is_port) =>
            {
                address
            }
            _ => return false,
        },
        None => match host.rsplit_once(':') {
            Some((name, port)) if is_port(port) => name,
            _ => host,
        },
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.to_canonical().is_loopback())
}

/// `5000` after a host and its colon.
fn is_port(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

impl Registry {
    /// A client of `host`; `hint` says where to give credentials, for errors.
    pub fn new(host: &str, credentials: Option<Credentials>, hint: String) -> Result<Registry> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("muelle/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| Error::Client {
                registry: host.to_owned(),
                source,
            })?;
        Ok(Registry {
            host: host.to_owned(),
            base: base_url(host),
            http,
            credentials,
            hint,
            authorizations: HashMap::new(),
        })
    }

    /// Every tag of `repository`, page after page as the registry's `Link`
    /// headers lead, to the end; none when the repository does not exist yet.
    #[tracing::instrument(skip_all, fields(registry = %self.host, repository = %repository))]
    pub async fn tags(&mut self, repository: &str) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct TagList {
            tags: Option<Vec<String>>,
        }
        let scope = format!("repository:{repository}:pull");
        let mut path = format!("/v2/{repository}/tags/list");
        let mut tags = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let response = self.send(Method::GET, &path, None, &scope).await?;
            match response.status() {
                StatusCode::NOT_FOUND => return Ok(tags),
                s if s.is_success() => {}
                _ => {
                    return Err(self
                        .unexpected("list the tags of", repository, response)
                        .await);
                }
            }
            let next = header(response.headers(), LINK).and_then(|v| auth::next_link(&v));
            let page: TagList = response.json().await.map_err(|source| Error::Unreadable {
                registry: self.host.clone(),
                what: format!("tag list of {repository}"),
                source,
            })?;
            let before = tags.len();
            for tag in page.tags.unwrap_or_default() {
                if seen.insert(tag.clone()) {
                    tags.push(tag);
                }
            }
            let Some(next) = next else {
                return Ok(tags);
            };
            // A page that brings nothing new yet links on would be followed for ever.
            if tags.len() == before {
                return Err(Error::EndlessTags {
                    registry: self.host.clone(),
                    repository: repository.to_owned(),
                    page: path,
                    next,
                });
            }
            path = self.next_page(&path, &next)?;
        }
    }

    /// The path and query of the page a `Link` names, resolved against the
    /// page that named it; refused when it leaves this registry, which
    /// would receive the credentials.
    fn next_page(&self, current: &str, link: &str) -> Result<String> {
        let bad = |problem: String| Error::BadNextPage {
            registry: self.host.clone(),
            problem,
        };
        let here = reqwest::Url::parse(&format!("{}{current}", self.base))
            .map_err(|e| bad(format!("bad page address {current:?}: {e}")))?;
        let next = here
            .join(link)
            .map_err(|e| bad(format!("bad Link to the next tags {link:?}: {e}")))?;
        if next.origin() != here.origin() {
            return Err(bad(format!(
                "the next page of tags is on another host ({next}); muelle sends credentials only to {}",
                self.host
            )));
        }
        Ok(match next.query() {
            Some(query) => format!("{}?{query}", next.path()),
            None => next.path().to_owned(),
        })
    }

    /// The manifest digest `repository:tag` names, `None` if the tag does not exist.
    #[tracing::instrument(skip_all, fields(registry = %self.host, repository = %repository, tag = %tag))]
    pub async fn digest(&mut self, repository: &str, tag: &str) -> Result<Option<String>> {
        let scope = format!("repository:{repository}:pull");
        let path = format!("/v2/{repository}/manifests/{tag}");
        let response = self
            .send(Method::HEAD, &path, Some(MANIFEST_TYPES), &scope)
            .await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => Ok(response
                .headers()
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)),
            _ => Err(self
                .unexpected(
                    "read the digest of",
                    &format!("{repository}:{tag}"),
                    response,
                )
                .await),
        }
    }

    /// Sends a request, answering a `401` challenge once.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        accept: Option<&str>,
        scope: &str,
    ) -> Result<Response> {
        let url = format!("{}{path}", self.base);
        let known = self.authorizations.get(scope).cloned();
        let response = self
            .request(method.clone(), &url, accept, known.as_deref())
            .await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let challenge =
            header(response.headers(), WWW_AUTHENTICATE).and_then(|h| auth::parse_challenge(&h));
        let authorization = match challenge {
            Some(Challenge::Basic) => self.require_credentials()?.basic(),
            Some(Challenge::Bearer {
                realm,
                service,
                scope: wanted,
            }) => {
                let scope = wanted.unwrap_or_else(|| scope.to_owned());
                self.token(&realm, service.as_deref(), &scope).await?
            }
            None => {
                return Err(self.refused("it answered 401 without a challenge muelle can answer"));
            }
        };
        let response = self
            .request(method, &url, accept, Some(&authorization))
            .await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            return Err(self.refused_credentials());
        }
        self.authorizations.insert(scope.to_owned(), authorization);
        Ok(response)
    }

    async fn request(
        &self,
        method: Method,
        url: &str,
        accept: Option<&str>,
        authorization: Option<&str>,
    ) -> Result<Response> {
        let mut request = self.http.request(method, url);
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        if let Some(authorization) = authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        request.send().await.map_err(|e| Error::Unreachable {
            registry: self.host.clone(),
            reason: innermost(&e),
        })
    }

    /// The Bearer flow: ask the token service, with the credentials if any.
    async fn token(&self, realm: &str, service: Option<&str>, scope: &str) -> Result<String> {
        #[derive(Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let mut params = vec![("scope", scope)];
        params.extend(service.map(|s| ("service", s)));
        let url = reqwest::Url::parse_with_params(realm, &params).map_err(|e| Error::BadRealm {
            registry: self.host.clone(),
            realm: realm.to_owned(),
            problem: e.to_string(),
        })?;
        let mut request = self.http.get(url);
        if let Some(credentials) = &self.credentials {
            request = request.header(AUTHORIZATION, credentials.basic());
        }
        let response = request.send().await.map_err(|e| Error::Unreachable {
            registry: realm.to_owned(),
            reason: innermost(&e),
        })?;
        match response.status() {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(self.refused_credentials());
            }
            s if !s.is_success() => {
                return Err(Error::TokenStatus {
                    registry: self.host.clone(),
                    realm: realm.to_owned(),
                    status: s,
                });
            }
            _ => {}
        }
        let token: Token = response.json().await.map_err(|source| Error::Unreadable {
            registry: self.host.clone(),
            what: format!("answer of the token service {realm}"),
            source,
        })?;
        token
            .token
            .or(token.access_token)
            .map(|t| format!("Bearer {t}"))
            .ok_or_else(|| Error::NoToken {
                registry: self.host.clone(),
                realm: realm.to_owned(),
            })
    }

    fn require_credentials(&self) -> Result<&Credentials> {
        self.credentials
            .as_ref()
            .ok_or_else(|| self.refused("it asks for credentials and none were given"))
    }

    fn refused_credentials(&self) -> Error {
        match &self.credentials {
            Some(c) => self.refused(&format!(
                "wrong credentials for user {} from {}",
                c.username, c.source
            )),
            None => self.refused("it asks for credentials and none were given"),
        }
    }

    fn refused(&self, detail: &str) -> Error {
        Error::Auth {
            registry: self.host.clone(),
            detail: detail.to_owned(),
            hint: self.hint.clone(),
        }
    }

    /// An answer muelle has no use for, with the registry's own error codes.
    async fn unexpected(&self, action: &str, what: &str, response: Response) -> Error {
        #[derive(Deserialize)]
        struct Errors {
            errors: Vec<Detail>,
        }
        #[derive(Deserialize)]
        struct Detail {
            code: String,
            message: Option<String>,
        }
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let detail = serde_json::from_str::<Errors>(&text)
            .map(|e| {
                e.errors
                    .iter()
                    .map(|d| format!("{} {}", d.code, d.message.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        Error::Unexpected {
            registry: self.host.clone(),
            action: action.to_owned(),
            what: what.to_owned(),
            status,
            detail: detail.trim().to_owned(),
        }
    }
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

/// The root cause of a request error, e.g. `Connection refused (os error 111)`.
pub(crate) fn innermost(error: &reqwest::Error) -> String {
    let mut last = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        last = cause.to_string();
        source = cause.source();
    }
    if error.is_timeout() {
        format!("no answer in time ({last})")
    } else {
        last
    }
}

#[cfg(test)]
mod tests;

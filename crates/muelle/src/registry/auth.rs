//! What a registry's `401` asks for: the `WWW-Authenticate` challenge
//! (Basic, or Bearer with the token service to ask), and the pagination
//! `Link` header. Pure parsing, tested on the shapes real registries send.

/// A registry's challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// Send the user and password with every request (htpasswd registries).
    Basic,
    /// Get a token from `realm` (with the credentials, if any), then send it.
    Bearer {
        /// The token endpoint.
        realm: String,
        /// The `service` parameter to pass on.
        service: Option<String>,
        /// The `scope` the registry wants, e.g. `repository:team/vote:pull`.
        scope: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` value; `None` for schemes muelle cannot answer.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => Some(Challenge::Basic),
        "bearer" => {
            let params = parameters(rest);
            let get = |key: &str| {
                params
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v.clone())
            };
            Some(Challenge::Bearer {
                realm: get("realm")?,
                service: get("service"),
                scope: get("scope"),
            })
        }
        _ => None,
    }
}

/// `key="value", key2=value2` with quoted values that may hold commas and `\"`.
fn parameters(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                value.push(c);
            }
        }
        out.push((key.trim().to_owned(), value.trim().to_owned()));
    }
}

/// The next page of a paginated list: `</v2/x/tags/list?last=b&n=2>; rel="next"`.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| matches!(p.replace(' ', "").as_str(), "rel=\"next\"" | "rel=next"));
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_challenges_from_htpasswd_registries() {
        assert_eq!(
            parse_challenge("Basic realm=\"testkit\""),
            Some(Challenge::Basic)
        );
    }

    #[test]
    fn bearer_challenges_keep_commas_inside_quotes() {
        let header = "Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\",scope=\"repository:team/vote:pull,push\"";
        assert_eq!(
            parse_challenge(header),
            Some(Challenge::Bearer {
                realm: "https://auth.example.com/token".into(),
                service: Some("registry.example.com".into()),
                scope: Some("repository:team/vote:pull,push".into()),
            })
        );
        assert_eq!(
            parse_challenge("bearer realm=https://a/t, service=r"),
            Some(Challenge::Bearer {
                realm: "https://a/t".into(),
                service: Some("r".into()),
                scope: None,
            })
        );
    }

    #[test]
    fn unusable_challenges_are_none() {
        assert_eq!(parse_challenge("Bearer service=\"x\""), None);
        assert_eq!(parse_challenge("Negotiate abc"), None);
    }

    #[test]
    fn the_next_page_comes_from_the_link_header() {
        assert_eq!(
            next_link("</v2/team/vote/tags/list?last=b&n=2>; rel=\"next\"").as_deref(),
            Some("/v2/team/vote/tags/list?last=b&n=2")
        );
        assert_eq!(next_link("</v2/x>; rel=\"prev\""), None);
        assert_eq!(
            next_link("</v2/x?last=a>; rel=prev, <http://r:5000/v2/x?last=b>;rel=next").as_deref(),
            Some("http://r:5000/v2/x?last=b")
        );
    }
}

//! Recognising the requests the lean path answers: `GET /` and a
//! well-formed vote, `POST /` with `vote=a` or `vote=b`.
//!
//! Anything else, or anything unusual, is not ours: it goes to hyper and
//! the router, which answer it exactly as they always have. So this parser
//! only has to say yes to the plain cases and may say no whenever in doubt.

use voting::ballot::{Choice, VoterId, VoterIdError};

use crate::routes::MAX_FORM_BYTES;

/// Headers looked at; a browser sends about fifteen.
const MAX_HEADERS: usize = 48;

/// The largest request head the lean path waits for; a larger one (huge
/// cookies, say) is the router's to judge.
pub(crate) const MAX_HEAD_BYTES: usize = 8 * 1024;

/// What a complete request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `GET /`: the ballot.
    Page,
    /// `POST /` with this choice.
    Vote(Choice),
}

/// A request the lean path can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ask {
    /// Bytes it takes at the front of the buffer, body included.
    pub(crate) len: usize,
    /// What it asks for.
    pub(crate) route: Route,
    /// The voter from a usable `voter_id` cookie; `None` for a new voter.
    pub(crate) voter: Option<VoterId>,
    /// Whether the client asked for JSON rather than the page.
    pub(crate) json: bool,
}

/// What the front of the buffer holds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// Not a whole request yet.
    Partial,
    /// A request the lean path answers.
    Ours(Ask),
    /// A request for hyper and the router.
    NotOurs,
}

/// Reads the request at the front of `buf`.
pub(crate) fn parse(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let head = match request.parse(buf) {
        Ok(httparse::Status::Complete(head)) => head,
        Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD_BYTES => return Parsed::Partial,
        _ => return Parsed::NotOurs,
    };
    if request.version != Some(1) || request.path != Some("/") {
        return Parsed::NotOurs;
    }
    let mut length = None;
    let mut form = false;
    let mut accept = None;
    let mut cookie = None;
    for header in request.headers.iter() {
        let name = header.name;
        let Some(value) = visible_ascii(header.value) else {
            // The router reads such values as absent; let it.
            return Parsed::NotOurs;
        };
        if name.eq_ignore_ascii_case("content-length") {
            match (length, content_length(value)) {
                (None, Some(n)) => length = Some(n),
                _ => return Parsed::NotOurs,
            }
        } else if name.eq_ignore_ascii_case("content-type") {
            form = is_form(value);
        } else if name.eq_ignore_ascii_case("accept") {
            // The router looks at the first Accept header only.
            accept.get_or_insert(value);
        } else if name.eq_ignore_ascii_case("cookie") {
            if cookie.is_none() {
                cookie = voter_cookie(value);
            }
        } else if ["transfer-encoding", "expect", "upgrade"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
            || (name.eq_ignore_ascii_case("connection") && !is_keep_alive(value))
        {
            return Parsed::NotOurs;
        }
    }
    let json = accept.is_some_and(|a| a.contains("application/json"));
    let (route, len) = match (request.method, length.unwrap_or(0)) {
        (Some("GET"), 0) => (Route::Page, head),
        (Some("POST"), body) if form && length.is_some() && body <= MAX_FORM_BYTES => {
            let Some(bytes) = buf.get(head..head + body) else {
                return Parsed::Partial;
            };
            match choice(bytes) {
                Some(choice) => (Route::Vote(choice), head + body),
                None => return Parsed::NotOurs,
            }
        }
        _ => return Parsed::NotOurs,
    };
    // A cookie that is not a usable id counts as none, as the router does:
    // the answer hands out a fresh id (the original app took any cookie).
    let voter = cookie.and_then(Result::ok);
    Parsed::Ours(Ask {
        len,
        route,
        voter,
        json,
    })
}

/// A header value as text, if it is visible ASCII as `HeaderValue::to_str`
/// requires.
fn visible_ascii(value: &[u8]) -> Option<&str> {
    value
        .iter()
        .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
        .then(|| std::str::from_utf8(value).ok())
        .flatten()
}

/// A `Content-Length` as HTTP writes it: digits only. `usize`'s parser
/// also takes a leading `+`, which hyper refuses.
fn content_length(value: &str) -> Option<usize> {
    let digits = value.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `application/x-www-form-urlencoded`, with or without parameters.
fn is_form(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// Whether a `Connection` header leaves the connection open and plain.
fn is_keep_alive(value: &str) -> bool {
    value
        .split(',')
        .all(|token| token.trim().eq_ignore_ascii_case("keep-alive"))
}

/// The first `voter_id` cookie in a `Cookie` header, checked.
fn voter_cookie(header: &str) -> Option<Result<VoterId, VoterIdError>> {
    cookie::Cookie::split_parse(header)
        .flatten()
        .find(|c| c.name() == "voter_id")
        .map(|c| VoterId::parse(c.value_trimmed()))
}

/// The choice of a form with exactly one `vote` field, `a` or `b`.
fn choice(body: &[u8]) -> Option<Choice> {
    let mut votes = form_urlencoded::parse(body).filter(|(key, _)| key == "vote");
    let (_, value) = votes.next()?;
    if votes.next().is_some() {
        return None;
    }
    Choice::parse(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(extra: &str, body: &str) -> String {
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n{extra}\r\n{body}",
            body.len()
        )
    }

    fn ours(raw: &str) -> Ask {
        match parse(raw.as_bytes()) {
            Parsed::Ours(ask) => ask,
            other => panic!("{raw:?}: {other:?}"),
        }
    }

    #[test]
    fn plain_votes_and_pages_are_ours() {
        let raw = vote(
            "Cookie: a=1; voter_id=beef\r\nAccept: application/json\r\n",
            "vote=b",
        );
        let ask = ours(&raw);
        assert_eq!(ask.route, Route::Vote(Choice::B));
        assert_eq!(ask.voter.unwrap().as_str(), "beef");
        assert!(ask.json);
        assert_eq!(ask.len, raw.len());
        let page = ours("GET / HTTP/1.1\r\nHost: x\r\nCookie: voter_id=NOPE\r\n\r\nGET");
        assert_eq!((page.route, page.voter, page.len), (Route::Page, None, 50));
        assert_eq!(
            ours(&vote("", "vote=%61&x=1")).route,
            Route::Vote(Choice::A)
        );
        for (cookie, voter) in [("XYZ", None), ("", None), ("\"beef\"", Some("beef"))] {
            let ask = ours(&vote(&format!("Cookie: voter_id={cookie}\r\n"), "vote=a"));
            assert_eq!(ask.voter.as_ref().map(VoterId::as_str), voter, "{cookie}");
        }
    }

    #[test]
    fn incomplete_requests_wait() {
        let raw = vote("", "vote=a");
        for cut in [10, raw.len() - 3] {
            assert_eq!(parse(&raw.as_bytes()[..cut]), Parsed::Partial, "{cut}");
        }
    }

    #[test]
    fn anything_unusual_goes_to_the_router() {
        for raw in [
            vote("", "vote=c"),
            vote("", "vote=a&vote=b"),
            vote("", "other=1"),
            vote("Expect: 100-continue\r\n", "vote=a"),
            vote("Connection: close\r\n", "vote=a"),
            vote("Content-Length: 6\r\n", "vote=a"),
            vote("", "vote=a").replace("Content-Length: 6", "Content-Length: +6"),
            vote("", &format!("vote=a&p={}", "x".repeat(MAX_FORM_BYTES))),
            vote("", "vote=a").replace("HTTP/1.1", "HTTP/1.0"),
            vote("", "vote=a").replace("x-www-form-urlencoded", "json"),
            vote("", "vote=a").replace("POST /", "POST /?x=1"),
            "GET /healthz HTTP/1.1\r\n\r\n".into(),
            "HEAD / HTTP/1.1\r\n\r\n".into(),
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".into(),
            "not http at all\r\n\r\n".into(),
        ] {
            assert_eq!(parse(raw.as_bytes()), Parsed::NotOurs, "{raw:?}");
        }
    }
}

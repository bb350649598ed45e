//! The vote request, prepared once and filled in per vote.
//!
//! Only the voter id and the option change between votes, so a request is
//! a fixed head, the id in hex, and one of two fixed tails: a few copies,
//! no formatting machinery, no allocation once the buffer has grown.

use crate::config::Voters;
use crate::target::Target;

/// The voter ids of one run: a random prefix, so that runs against the same
/// database never reuse each other's voters, then a number in hex. The
/// cookie must be lowercase hex of at most 64 digits; this is at most 24.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VoterIds {
    prefix: u32,
    voters: Voters,
}

impl VoterIds {
    pub(crate) fn new(voters: Voters) -> VoterIds {
        VoterIds {
            prefix: rand::random(),
            voters,
        }
    }

    /// Appends the id of the voter of vote number `n` to `out`.
    pub(crate) fn write(&self, n: u64, out: &mut Vec<u8>) {
        let number = match self.voters {
            Voters::Unique => n,
            Voters::Reuse(count) => n % count,
        };
        write_hex(u64::from(self.prefix), 8, out);
        write_hex(number, 1, out);
    }
}

/// Lowercase hex of `value`, zero-padded to at least `width` digits.
fn write_hex(value: u64, width: usize, out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digits = (16 - value.leading_zeros() as usize / 4).max(width).max(1);
    for i in (0..digits).rev() {
        out.push(DIGITS[((value >> (i * 4)) & 0xf) as usize]);
    }
}

/// The bytes of a vote request around the voter id.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    head: Vec<u8>,
    tails: [Vec<u8>; 2],
}

impl Template {
    pub(crate) fn new(target: &Target, html: bool) -> Template {
        let accept = if html {
            "text/html"
        } else {
            "application/json"
        };
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Accept: {accept}\r\nContent-Length: 6\r\nCookie: voter_id=",
            target.path(),
            target.host()
        );
        let tail = |choice: &str| format!("\r\n\r\nvote={choice}").into_bytes();
        Template {
            head: head.into_bytes(),
            tails: [tail("a"), tail("b")],
        }
    }

    /// Fills `out` with vote number `n`: its voter, and `a` or `b` in turn.
    pub(crate) fn fill(&self, ids: &VoterIds, n: u64, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(&self.head);
        ids.write(n, out);
        out.extend_from_slice(&self.tails[(n % 2) as usize]);
    }

    /// The voter id inside a filled request, for recording it.
    pub(crate) fn voter<'a>(&self, request: &'a [u8]) -> &'a [u8] {
        &request[self.head.len()..request.len() - self.tails[0].len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(value: u64, width: usize) -> String {
        let mut out = Vec::new();
        write_hex(value, width, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(hex(0, 1), "0");
        assert_eq!(hex(0xabc, 1), "abc");
        assert_eq!(hex(0xabc, 8), "00000abc");
        assert_eq!(hex(u64::MAX, 1), "ffffffffffffffff");
    }

    #[tokio::test]
    async fn requests_carry_the_voter_and_alternate_options() {
        let target = Target::resolve("http://127.0.0.1:9/vote", &Default::default())
            .await
            .unwrap();
        let template = Template::new(&target, false);
        let ids = VoterIds {
            prefix: 0xdead_beef,
            voters: Voters::Unique,
        };
        let mut request = Vec::new();
        template.fill(&ids, 0x1f, &mut request);
        let text = String::from_utf8(request.clone()).unwrap();
        assert!(text.starts_with("POST /vote HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"));
        assert!(
            text.ends_with("Cookie: voter_id=deadbeef1f\r\n\r\nvote=b"),
            "{text}"
        );
        assert_eq!(template.voter(&request), b"deadbeef1f");
        template.fill(&ids, 2, &mut request);
        assert!(request.ends_with(b"voter_id=deadbeef2\r\n\r\nvote=a"));
    }

    #[test]
    fn reused_voters_cycle() {
        let ids = VoterIds {
            prefix: 1,
            voters: Voters::Reuse(3),
        };
        let id = |n| {
            let mut out = Vec::new();
            ids.write(n, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(id(1), id(4));
        assert_ne!(id(1), id(2));
        assert_eq!(id(2), "000000012");
    }
}

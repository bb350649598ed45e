//! Plain votes and pages take the lean path; everything else on the same
//! connection is answered by the router. Clients cannot tell the difference.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::spawn_app;

/// One HTTP/1.1 connection driven by hand, so tests control what shares it.
struct Connection {
    stream: TcpStream,
    read: Vec<u8>,
}

/// A response as read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

impl Connection {
    async fn open(address: &str) -> Connection {
        let addr = address.trim_start_matches("http://");
        Connection {
            stream: TcpStream::connect(addr).await.unwrap(),
            read: Vec::new(),
        }
    }

    async fn send(&mut self, raw: &str) {
        self.stream.write_all(raw.as_bytes()).await.unwrap();
    }

    async fn answer(&mut self) -> Answer {
        loop {
            if let Some(end) = self.read.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8(self.read[..end].to_vec()).unwrap();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .expect("a content length");
                if self.read.len() >= end + 4 + length {
                    let body =
                        String::from_utf8(self.read[end + 4..end + 4 + length].to_vec()).unwrap();
                    self.read.drain(..end + 4 + length);
                    let status = head[9..12].parse().unwrap();
                    return Answer { status, head, body };
                }
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the connection closed");
            self.read.extend_from_slice(&chunk[..n]);
        }
    }
}

fn vote(path: &str, voter: &str, choice: &str, extra: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: vote\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Cookie: voter_id={voter}\r\nContent-Length: 6\r\n{extra}\r\nvote={choice}"
    )
}

#[tokio::test]
async fn one_connection_moves_from_the_lean_path_to_the_router_and_keeps_voting() {
    let app = spawn_app().await;
    let mut conn = Connection::open(&app.address).await;
    conn.send(&vote("/", "a1", "a", "Accept: application/json\r\n"))
        .await;
    assert_eq!(conn.answer().await.body, r#"{"voter_id":"a1","vote":"a"}"#);
    conn.send("GET /healthz HTTP/1.1\r\nHost: vote\r\n\r\n")
        .await;
    let health = conn.answer().await;
    assert_eq!(health.status, 200);
    assert!(health.body.contains(r#""status":"ok""#));
    conn.send(&vote("/", "a2", "b", "")).await;
    let page = conn.answer().await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"value="b" aria-pressed="true""#));
    let voters: Vec<_> = app
        .queued()
        .await
        .iter()
        .map(|m| m["voter_id"].clone())
        .collect();
    assert_eq!(voters, ["a1", "a2"]);
}

#[tokio::test]
async fn pipelined_votes_are_answered_in_order() {
    let app = spawn_app().await;
    let mut conn = Connection::open(&app.address).await;
    let json = "Accept: application/json\r\n";
    let all: String = ["b1", "b2", "b3"]
        .iter()
        .map(|v| vote("/", v, "a", json))
        .collect();
    conn.send(&all).await;
    for voter in ["b1", "b2", "b3"] {
        assert!(conn.answer().await.body.contains(voter));
    }
    assert_eq!(app.queued().await.len(), 3);
}

#[tokio::test]
async fn the_lean_path_answers_as_the_router_does() {
    let app = spawn_app().await;
    let mut conn = Connection::open(&app.address).await;
    // A query string sends the same vote through the router.
    for (path, voter) in [("/", "c1"), ("/?via=router", "c2")] {
        let json = vote(path, voter, "b", "Accept: application/json\r\n");
        let page = vote(path, voter, "b", "");
        let fresh = format!("GET {path} HTTP/1.1\r\nHost: vote\r\n\r\n");
        let mut answers = Vec::new();
        for request in [json, page, fresh] {
            conn.send(&request).await;
            answers.push(conn.answer().await);
        }
        let [json, page, fresh] = <[Answer; 3]>::try_from(answers).unwrap();
        assert_eq!(json.status, 200, "{path}");
        assert_eq!(json.header("content-type"), Some("application/json"));
        assert_eq!(json.body, format!(r#"{{"voter_id":"{voter}","vote":"b"}}"#));
        assert_eq!(
            page.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert!(
            page.body.contains(r#"value="b" aria-pressed="true""#),
            "{path}"
        );
        assert!(
            page.header("set-cookie").is_none(),
            "a known voter keeps its id"
        );
        assert!(page.header("date").is_some());
        let cookie = fresh
            .header("set-cookie")
            .expect("a new visitor gets an id");
        assert!(
            cookie.starts_with("voter_id=")
                && cookie.ends_with("; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly")
        );
        assert!(fresh.body.contains("Tabs vs Spaces!"));
    }
    assert_eq!(app.queued().await.len(), 4);
}

#[tokio::test]
async fn lean_requests_are_counted_in_the_metrics() {
    let app = spawn_app().await;
    assert_eq!(app.post_vote("a", Some("d1")).await.status(), 200);
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"http_requests_total{method="POST",route="/",status="200"} 1"#,
        r#"vote_votes_queued_total{option="a"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
    }
    assert!(metrics.contains(r#"http_request_duration_seconds_count{method="POST",route="/"} 1"#));
}

#[tokio::test]
async fn a_request_that_waits_for_100_continue_is_served() {
    let app = spawn_app().await;
    let mut conn = Connection::open(&app.address).await;
    let head = vote("/", "e1", "a", "Expect: 100-continue\r\n");
    let (head, body) = head.split_at(head.len() - 6);
    conn.send(head).await;
    let mut interim = [0u8; 25];
    conn.stream.read_exact(&mut interim).await.unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    conn.send(body).await;
    assert_eq!(conn.answer().await.status, 200);
    assert_eq!(app.queued().await.len(), 1);
}

//! The tag listing against registries that page: to the last page however
//! many there are, an error for a list that loops or for a page on another
//! host.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Registry;

/// A registry that pages its tags, `n` at a time after `last`, as
/// distribution v3 and hosted registries do: Debian's docker-registry
/// (2.8) ignores `n` and always answers with one page, so it cannot show
/// a second one. `page(host, path)` gives the body and the next `Link`.
async fn paging_registry(
    page: impl Fn(&str, &str) -> (String, Option<String>) + Send + Sync + 'static,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let (page, served) = (Arc::new(page), host.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (page, host) = (page.clone(), served.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split_whitespace().nth(1).unwrap_or_default();
                let (body, next) = page(&host, path);
                let link = next
                    .map(|l| format!("Link: <{l}>; rel=\"next\"\r\n"))
                    .unwrap_or_default();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{link}Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    host
}

fn client(host: &str) -> Registry {
    Registry::new(host, None, String::new()).unwrap()
}

#[tokio::test]
async fn tags_are_followed_to_the_last_page_however_many() {
    // Past the thousand pages the listing used to stop at, one tag a page.
    let all: Vec<String> = (0..1500).map(|i| format!("t{i:04}")).collect();
    let tags = all.clone();
    let host = paging_registry(move |host, path| {
        let last = path.split_once("last=").map(|(_, l)| l.to_owned());
        let start = last.map_or(0, |l| tags.partition_point(|t| *t <= l));
        let page = &tags[start..(start + 1).min(tags.len())];
        let body = serde_json::json!({ "name": "team/vote", "tags": page }).to_string();
        // Relative and absolute links, as registries give both.
        let next = (start + 1 < tags.len()).then(|| match start % 2 {
            0 => format!("/v2/team/vote/tags/list?n=1&last={}", page[0]),
            _ => format!("http://{host}/v2/team/vote/tags/list?n=1&last={}", page[0]),
        });
        (body, next)
    })
    .await;
    assert_eq!(client(&host).tags("team/vote").await.unwrap(), all);
}

#[tokio::test]
async fn a_tag_list_that_loops_is_an_error() {
    let host = paging_registry(|_, path| {
        let body = r#"{"name":"team/vote","tags":["a","b"]}"#.to_owned();
        let next = if path.contains("last=b") {
            "/v2/team/vote/tags/list"
        } else {
            "/v2/team/vote/tags/list?last=b"
        };
        (body, Some(next.to_owned()))
    })
    .await;
    let err = client(&host)
        .tags("team/vote")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("the tag list of team/vote does not end: the page /v2/team/vote/tags/list?last=b brought no new tag but links to /v2/team/vote/tags/list"),
        "{err}"
    );
}

#[tokio::test]
async fn a_next_page_on_another_host_is_refused() {
    let host = paging_registry(|_, _| {
        let body = r#"{"name":"team/vote","tags":["a"]}"#.to_owned();
        (
            body,
            Some("http://127.0.0.2:9/v2/team/vote/tags/list?last=a".to_owned()),
        )
    })
    .await;
    let err = client(&host)
        .tags("team/vote")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("is on another host (http://127.0.0.2:9/"),
        "{err}"
    );
}

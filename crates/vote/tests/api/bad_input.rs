//! Anything that is not a vote gets a 4xx with a clear message, and nothing is
//! queued; an unusable cookie is not a reason to refuse a vote.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE};

use crate::helpers::{TestApp, cookie_voter, spawn_app};

async fn assert_refused(
    app: &TestApp,
    response: reqwest::Response,
    status: StatusCode,
    message: &str,
) {
    assert_eq!(response.status(), status);
    let body = response.text().await.unwrap();
    assert!(body.contains(message), "expected {message:?} in {body:?}");
    assert!(app.queued().await.is_empty(), "a refused vote was queued");
}

#[tokio::test]
async fn a_missing_vote_is_refused() {
    let app = spawn_app().await;
    let response = app.post_form("other=1", None).await;
    assert_refused(&app, response, StatusCode::BAD_REQUEST, "`vote` is missing").await;
}

#[tokio::test]
async fn an_unknown_option_is_refused() {
    let app = spawn_app().await;
    for vote in ["c", "A", "", "ab"] {
        let response = app.post_vote(vote, Some("abc")).await;
        assert_refused(&app, response, StatusCode::BAD_REQUEST, "unknown option").await;
    }
}

#[tokio::test]
async fn a_repeated_vote_field_is_refused() {
    let app = spawn_app().await;
    let response = app.post_form("vote=a&vote=b", None).await;
    assert_refused(&app, response, StatusCode::BAD_REQUEST, "duplicate field").await;
}

/// The original app took any `voter_id` cookie; one we cannot use counts as
/// none, on the lean path (`/`) and on the router's (`/?via=router`) alike.
#[tokio::test]
async fn unusable_voter_ids_get_a_fresh_id_and_the_vote_counts() {
    let app = spawn_app().await;
    let long = "a".repeat(65);
    let mut expected = Vec::new();
    for path in ["/", "/?via=router"] {
        for (cookie, kept) in [
            ("ABCDEF", None),
            ("not-hex", None),
            (long.as_str(), None),
            ("", None),
            ("\"beef\"", Some("beef")),
        ] {
            let response = app
                .client
                .post(format!("{}{path}", app.address))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(COOKIE, format!("voter_id={cookie}"))
                .body("vote=a")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path} {cookie:?}");
            let fresh = cookie_voter(&response);
            match kept {
                Some(voter) => {
                    assert_eq!(fresh, None, "{path} {cookie:?} keeps its id");
                    expected.push(voter.to_owned());
                }
                None => {
                    let fresh = fresh.expect("an unusable cookie is replaced");
                    assert_eq!(fresh.len(), 16, "{path} {cookie:?}");
                    expected.push(fresh);
                }
            }
        }
    }
    let queued = app.queued_voters().await;
    assert_eq!(queued, expected);
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let app = spawn_app().await;
    let response = app
        .post_form(&format!("vote=a&padding={}", "x".repeat(4096)), None)
        .await;
    assert_refused(
        &app,
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "larger than 1024 bytes",
    )
    .await;
}

#[tokio::test]
async fn a_wrong_content_type_is_refused() {
    let app = spawn_app().await;
    for content_type in ["application/json", "text/plain"] {
        let response = app
            .client
            .post(&app.address)
            .header(CONTENT_TYPE, content_type)
            .header(COOKIE, "voter_id=abc")
            .body(r#"{"vote":"a"}"#)
            .send()
            .await
            .unwrap();
        assert_refused(
            &app,
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected a form",
        )
        .await;
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_are_refused() {
    let app = spawn_app().await;
    let missing = app
        .client
        .get(format!("{}/nope", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let wrong = app.client.delete(&app.address).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(app.queued().await.is_empty());
}

#[tokio::test]
async fn a_signed_content_length_is_refused_as_hyper_refuses_it() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(
            b"POST / HTTP/1.1\r\nHost: vote\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Cookie: voter_id=abc\r\nContent-Length: +6\r\n\r\nvote=a",
        )
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(
        testkit::DEFAULT_DEADLINE,
        stream.read_to_string(&mut answer),
    )
    .await
    .expect("an answer, then the connection closes")
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(app.queued().await.is_empty(), "a refused vote was queued");
}

//! `GET /`: the page, with the configured labels and the current counts.

use voting::tally::Tally;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn the_page_shows_the_configured_labels() {
    let app = spawn_app_with(&[("OPTION_A", "Tabs"), ("OPTION_B", "Spaces")]).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"id="label-a">Tabs<"#), "{page}");
    assert!(page.contains(r#"id="label-b">Spaces<"#), "{page}");
    assert!(!page.contains("Cats") && !page.contains("Dogs"), "{page}");
}

#[tokio::test]
async fn the_page_is_rendered_with_the_current_counts_and_needs_nothing_external() {
    let app = spawn_app().await;
    app.vote("aaaa", "a").await;
    app.vote("bbbb", "a").await;
    app.vote("cccc", "b").await;
    app.wait_for_results(Tally { a: 2, b: 1 }).await;

    let page = app.get("/").await.text().await.unwrap();
    assert!(page.contains(r#"id="share-a">67%<"#), "{page}");
    assert!(page.contains(r#"id="share-b">33%<"#), "{page}");
    assert!(page.contains(r#"id="total">3 votes<"#), "{page}");
    assert!(page.contains(r#"new EventSource("events")"#), "{page}");
    for external in ["src=", "href=", "http://", "https://", "@import"] {
        assert!(
            !page.contains(external),
            "the page loads {external}: {page}"
        );
    }
}

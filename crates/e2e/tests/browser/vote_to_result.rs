//! The whole path from a click to the screen: vote page → Redis → worker →
//! PostgreSQL → NOTIFY → result → EventSource → the result page's DOM.

use crate::helpers::{Browser, Stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_clicked_in_the_browser_shows_live_on_the_result_page() {
    let stack = Stack::start(&[("OPTION_A", "Tabs"), ("OPTION_B", "Spaces")]).await;
    let browser = Browser::start().await;

    browser.goto(&format!("http://{}/", stack.result)).await;
    let result_tab = browser.tab().await;
    browser.wait_for_text("status", "Live").await;
    assert_eq!(browser.text("label-a").await.as_deref(), Some("Tabs"));
    assert_eq!(browser.text("label-b").await.as_deref(), Some("Spaces"));
    assert_eq!(browser.text("total").await.as_deref(), Some("0 votes"));
    // Marks this document: if it is still there later, the page changed
    // without being reloaded.
    browser.script("window.e2eMarker = 'same page';").await;

    browser.new_tab().await;
    browser.goto(&format!("http://{}/", stack.vote)).await;
    let vote_tab = browser.tab().await;
    assert_eq!(browser.text("a").await.as_deref(), Some("Tabs"));
    browser.click("a").await;
    // The vote page answers only once Redis has the vote, and marks it.
    browser
        .wait_for_attribute("a", "aria-pressed", "true")
        .await;

    browser.switch_to(result_tab.clone()).await;
    browser.wait_for_text("share-a", "100%").await;
    assert_eq!(browser.text("share-b").await.as_deref(), Some("0%"));
    assert_eq!(browser.text("total").await.as_deref(), Some("1 vote"));
    assert_eq!(
        browser.script("return window.e2eMarker;").await,
        "same page",
        "the result page was reloaded instead of updated"
    );

    // The same voter changes their mind: still one vote, now for B.
    browser.switch_to(vote_tab).await;
    browser.click("b").await;
    browser
        .wait_for_attribute("b", "aria-pressed", "true")
        .await;
    browser.switch_to(result_tab).await;
    browser.wait_for_text("share-b", "100%").await;
    assert_eq!(browser.text("total").await.as_deref(), Some("1 vote"));

    browser.close().await;
    stack.stop().await;
}

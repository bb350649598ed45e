//! `GET /api/results`: each voter's last vote, counted.

use voting::tally::Tally;

use crate::helpers::spawn_app;

#[tokio::test]
async fn results_count_each_voters_last_vote() {
    let app = spawn_app().await;
    assert_eq!(app.results().await, Tally { a: 0, b: 0 });

    app.vote("aaaa", "a").await;
    app.vote("bbbb", "a").await;
    app.vote("cccc", "b").await;
    app.wait_for_results(Tally { a: 2, b: 1 }).await;

    // A changed vote moves a voter from one side to the other.
    app.vote("bbbb", "b").await;
    app.wait_for_results(Tally { a: 1, b: 2 }).await;
}

#[tokio::test]
async fn rows_for_unknown_options_are_not_counted() {
    let app = spawn_app().await;
    app.vote("aaaa", "zebra").await;
    app.vote("bbbb", "b").await;
    app.wait_for_results(Tally { a: 0, b: 1 }).await;
}

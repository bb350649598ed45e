//! The fallback refresh: changes made without `NOTIFY` (by the original
//! worker) still reach the page.

use voting::tally::Tally;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn a_change_without_notification_is_picked_up_by_the_refresh() {
    let app = spawn_app_with(&[("REFRESH_INTERVAL_MS", "100")]).await;
    let mut events = app.events().await;
    assert_eq!(events.next_tally().await, Tally { a: 0, b: 0 });

    app.vote_silently("aaaa", "a").await;
    assert_eq!(events.next_tally().await, Tally { a: 1, b: 0 });
    assert!(
        app.metric("result_recounts_total{trigger=\"refresh\"}")
            .await
            >= 1.0
    );
}

//! The alert rules: valid, and each fired and kept quiet by a unit test.

#[tokio::test]
async fn the_rules_pass_promtool_check_rules() {
    testkit::promtool(&monitoring::dir(), &["check", "rules", "alerts.yml"]).await;
}

#[tokio::test]
async fn every_alert_passes_its_unit_tests() {
    let said = testkit::promtool(&monitoring::dir(), &["test", "rules", "alerts.test.yml"]).await;
    assert!(said.contains("SUCCESS"), "{said}");
}

#[test]
fn every_alert_has_a_case_that_fires_it_and_one_that_keeps_it_quiet() {
    let read = |name: &str| std::fs::read_to_string(monitoring::dir().join(name)).unwrap();
    let untested =
        monitoring::untested_alerts(&read("alerts.yml"), &read("alerts.test.yml")).unwrap();
    assert!(untested.is_empty(), "{untested:#?}");
}

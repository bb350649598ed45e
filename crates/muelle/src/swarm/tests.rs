use std::collections::{BTreeMap, HashMap};

use bollard::models::ServiceSpec;

use super::{Error, select, short_name};
use crate::stack::{NAMESPACE_LABEL, StackPlan};

fn plan() -> StackPlan {
    let spec = |name: &str| ServiceSpec {
        name: Some(format!("voting_{name}")),
        ..Default::default()
    };
    StackPlan {
        namespace: "voting".into(),
        services: BTreeMap::from([
            ("result".into(), spec("result")),
            ("vote".into(), spec("vote")),
        ]),
        ..Default::default()
    }
}

#[test]
fn only_picks_services_and_an_unknown_one_is_named_with_the_known_ones() {
    let plan = plan();
    let all: Vec<&String> = select(&plan, &[])
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(all, ["result", "vote"]);
    let one: Vec<&String> = select(&plan, &["vote".into()])
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(one, ["vote"]);
    let error = select(&plan, &["db".into()]).unwrap_err();
    assert!(matches!(error, Error::UnknownService { .. }));
    assert!(error.is_usage());
    assert_eq!(
        error.to_string(),
        "the stack voting has no service `db`; it has: result, vote"
    );
}

#[test]
fn the_short_name_drops_the_stack_prefix() {
    let spec = ServiceSpec {
        labels: Some(HashMap::from([(
            NAMESPACE_LABEL.to_owned(),
            "voting".to_owned(),
        )])),
        ..Default::default()
    };
    assert_eq!(short_name(&spec, "voting_vote"), "vote");
    assert_eq!(short_name(&ServiceSpec::default(), "loose"), "loose");
}

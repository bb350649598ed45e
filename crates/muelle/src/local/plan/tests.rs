//! Plans compared as text, with no daemon.

use std::collections::BTreeSet;

use super::*;

fn spec(service: &str, networks: &[&str], volumes: &[&str], hash: &str) -> ContainerSpec {
    ContainerSpec {
        service: service.into(),
        name: format!("p-{service}-1"),
        body: Default::default(),
        networks: networks
            .iter()
            .map(|n| (format!("p_{n}"), vec![service.to_owned()]))
            .collect(),
        volumes: volumes.iter().map(|v| format!("p_{v}")).collect(),
        published: Vec::new(),
        stop_grace_secs: 10,
        hash: hash.into(),
    }
}

fn existing(service: &str, running: bool, hash: &str) -> (String, Existing) {
    (
        format!("p-{service}-1"),
        Existing {
            service: service.into(),
            running,
            hash: Some(hash.into()),
        },
    )
}

fn voting_app() -> Vec<ContainerSpec> {
    vec![
        spec("db", &["backend"], &["db-data"], "d1"),
        spec("redis", &["frontend"], &["redis-data"], "r1"),
        spec("result", &["backend"], &[], "s1"),
        spec("vote", &["frontend"], &[], "v1"),
        spec("worker", &["frontend", "backend"], &[], "w1"),
    ]
}

fn levels(specs: &[ContainerSpec]) -> Vec<Vec<&ContainerSpec>> {
    let (deps, apps): (Vec<_>, Vec<_>) = specs
        .iter()
        .partition(|s| s.service == "db" || s.service == "redis");
    vec![deps, apps]
}

#[test]
fn a_fresh_start_creates_everything_in_dependency_order() {
    let specs = voting_app();
    let plan = up(&levels(&specs), &BTreeSet::new(), &Observed::default());
    assert_eq!(
        plan.to_string(),
        "\
create network p_backend
create network p_frontend
create volume p_db-data
create volume p_redis-data
create p-db-1 for db
start p-db-1
create p-redis-1 for redis
start p-redis-1
wait for db, redis to be healthy
create p-result-1 for result
start p-result-1
create p-vote-1 for vote
start p-vote-1
create p-worker-1 for worker
start p-worker-1
wait for result, vote, worker to be healthy
"
    );
}

#[test]
fn only_changed_or_stopped_containers_are_touched() {
    let specs = voting_app();
    let observed = Observed {
        containers: [
            existing("db", true, "d1"),
            existing("redis", false, "r1"),
            existing("result", true, "s1"),
            existing("vote", true, "OLD"),
            existing("worker", true, "w1"),
        ]
        .into(),
        networks: ["p_backend".to_owned(), "p_frontend".to_owned()].into(),
        volumes: ["p_db-data".to_owned(), "p_redis-data".to_owned()].into(),
    };
    let plan = up(&levels(&specs), &BTreeSet::new(), &observed);
    assert_eq!(
        plan.to_string(),
        "\
keep db (up to date)
start p-redis-1
wait for db, redis to be healthy
keep result (up to date)
remove p-vote-1 (image or configuration changed)
create p-vote-1 for vote
start p-vote-1
keep worker (up to date)
wait for result, vote, worker to be healthy
"
    );
}

#[test]
fn external_networks_are_not_created() {
    let specs = [spec("vote", &["edge"], &[], "v1")];
    let plan = up(
        &[vec![&specs[0]]],
        &["p_edge".to_owned()].into(),
        &Observed::default(),
    );
    assert_eq!(
        plan.to_string(),
        "create p-vote-1 for vote\nstart p-vote-1\nwait for vote to be healthy\n"
    );
}

#[test]
fn down_of_one_service_leaves_the_rest_and_the_networks() {
    let observed = Observed {
        containers: [existing("redis", true, "r1"), existing("vote", true, "v1")].into(),
        networks: ["p_frontend".to_owned()].into(),
        volumes: ["p_redis-data".to_owned()].into(),
    };
    let plan = down(&[vec!["vote".to_owned()]], &observed, false);
    assert_eq!(plan.to_string(), "remove p-vote-1 (down)\n");
}

#[test]
fn down_of_everything_goes_dependents_first_and_keeps_volumes() {
    let observed = Observed {
        containers: [
            existing("redis", true, "r1"),
            existing("vote", false, "v1"),
            existing("gone", true, "g1"),
        ]
        .into(),
        networks: ["p_frontend".to_owned()].into(),
        volumes: ["p_redis-data".to_owned()].into(),
    };
    let levels = [vec!["redis".to_owned()], vec!["vote".to_owned()]];
    let plan = down(&levels, &observed, true);
    assert_eq!(
        plan.to_string(),
        "\
remove p-gone-1 (not in the compose file)
remove p-vote-1 (down)
remove p-redis-1 (down)
remove network p_frontend
"
    );
}

#[test]
fn containers_made_by_docker_compose_v1_are_replaced() {
    let specs = [spec("redis", &["frontend"], &["redis-data"], "r1")];
    let observed = Observed {
        containers: [(
            "p_redis_1".to_owned(),
            Existing {
                service: "redis".into(),
                running: true,
                hash: None,
            },
        )]
        .into(),
        networks: ["p_frontend".to_owned()].into(),
        volumes: ["p_redis-data".to_owned()].into(),
    };
    let plan = up(&[vec![&specs[0]]], &BTreeSet::new(), &observed);
    assert_eq!(
        plan.to_string(),
        "remove p_redis_1 (made by another tool)\ncreate p-redis-1 for redis\nstart p-redis-1\nwait for redis to be healthy\n"
    );
}

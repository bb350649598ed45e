//! Unit tests of the merge rules, on trees as the loader hands them over.

use super::*;

fn tree(yaml: &str) -> Value {
    let mut value: Value = serde_yaml_ng::from_str(yaml).unwrap();
    normalize(&mut value, &|name| {
        (name == "FROM_ENV").then(|| "yes".into())
    });
    value
}

#[test]
fn identified_entries_replace_and_others_append() {
    let mut base = tree(
        "services:\n  a:\n    secrets: [s1, { source: s2, target: two }]\n    volumes: [\"d:/data\", \"/cache\"]\n    cap_add: [NET_ADMIN]\n    healthcheck: { test: [CMD, a], retries: 3 }\n",
    );
    let over = tree(
        "services:\n  a:\n    secrets: [{ source: s2, target: deux }, s3]\n    volumes: [\"other:/data:ro\"]\n    cap_add: [NET_ADMIN, SYS_TIME]\n    healthcheck: { test: [CMD, b] }\n  b:\n    image: b\n",
    );
    merge(&mut base, over);
    let merged = tree(
        "services:\n  a:\n    secrets: [s1, { source: s2, target: deux }, s3]\n    volumes: [\"other:/data:ro\", \"/cache\"]\n    cap_add: [NET_ADMIN, SYS_TIME]\n    healthcheck: { test: [CMD, b], retries: 3 }\n  b:\n    image: b\n",
    );
    assert_eq!(base, merged);
}

#[test]
fn top_level_entries_are_replaced_whole() {
    let mut base = tree("networks:\n  n: { driver: overlay, attachable: true }\n  m: {}\n");
    merge(&mut base, tree("networks:\n  n: { driver: bridge }\n"));
    assert_eq!(base, tree("networks:\n  n: { driver: bridge }\n  m: {}\n"));
}

#[test]
fn lists_and_mappings_are_brought_to_one_form() {
    let value = tree(
        "services:\n  a:\n    environment: [A=1, FROM_ENV, UNSET]\n    networks: [x, y]\n    extra_hosts: { h: 10.0.0.1 }\n    labels: [flag]\n",
    );
    let want: Value = serde_yaml_ng::from_str(
        "services:\n  a:\n    environment: { A: \"1\", FROM_ENV: \"yes\" }\n    networks: { x: null, y: null }\n    extra_hosts: [\"h:10.0.0.1\"]\n    labels: { flag: \"\" }\n",
    )
    .unwrap();
    assert_eq!(value, want);
}

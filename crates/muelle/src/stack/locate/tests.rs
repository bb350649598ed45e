//! Unit tests of key paths and their lines.

use super::*;

const TEXT: &str = "\
x-update: &update
  order: start-first
  monitor: 15s
services:
  vote:
    image: vote
    ports:
      - 80:8080
      - target: 443
        mode: host
    deploy:
      update_config: *update
  db:
    deploy:
      <<: *update
";

#[test]
fn keys_are_found_on_their_line() {
    let line = |keys: &[&str]| line_of(TEXT, &KeyPath::of(keys));
    assert_eq!(line(&["services"]), Some(4));
    assert_eq!(line(&["services", "vote", "image"]), Some(6));
    assert_eq!(line(&["services", "vote", "deploy"]), Some(11));
}

#[test]
fn indexes_and_keys_below_them_are_found() {
    let ports = KeyPath::of(&["services", "vote", "ports"]);
    assert_eq!(line_of(TEXT, &ports.index(0)), Some(8));
    assert_eq!(line_of(TEXT, &ports.index(1).key("mode")), Some(10));
    assert_eq!(
        ports.index(1).key("mode").to_string(),
        "services.vote.ports[1].mode"
    );
}

#[test]
fn an_alias_is_found_where_its_anchor_wrote_it() {
    let path = KeyPath::of(&["services", "vote", "deploy", "update_config", "monitor"]);
    assert_eq!(line_of(TEXT, &path), Some(3));
}

#[test]
fn a_missing_key_falls_back_to_the_deepest_key_written() {
    // `order` came into db's deploy through `<<:`: the mapping that merged it.
    let merged = KeyPath::of(&["services", "db", "deploy", "order"]);
    assert_eq!(line_of(TEXT, &merged), Some(14));
    let absent = KeyPath::of(&["services", "vote", "healthcheck", "test"]);
    assert_eq!(line_of(TEXT, &absent), Some(5));
    assert_eq!(line_of(TEXT, &ports_past_the_end()), Some(7));
}

fn ports_past_the_end() -> KeyPath {
    KeyPath::of(&["services", "vote", "ports"]).index(5)
}

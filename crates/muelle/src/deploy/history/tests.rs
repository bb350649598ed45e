//! The deploy history on disk: ids, append-only lines, corrupt lines named,
//! and the versions `rollback` picks.

use super::*;

fn deployed(digest: &str, tag: &str) -> Deployed {
    Deployed {
        image: format!("127.0.0.1:5000/vote@{digest}"),
        tag: tag.into(),
        digest: digest.into(),
    }
}

fn entry(command: Command, vote: Deployed, outcome: Outcome) -> Entry {
    Entry {
        id: 0,
        time: "2026-12-01T10:00:00Z".into(),
        user: "Test User <test@example.com>".into(),
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
        command,
        services: BTreeMap::from([("vote".to_owned(), vote)]),
        outcome,
        summary: "vote converged".into(),
    }
}

const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C: &str = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

#[test]
fn entries_get_ids_in_order_and_earlier_lines_stay_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::of(dir.path(), "lab");
    assert_eq!(history.path(), dir.path().join(".muelle/deploys/lab.jsonl"));
    assert!(history.read().unwrap().is_empty());
    let first = entry(Command::Deploy, deployed(A, "0123456"), Outcome::Succeeded);
    assert_eq!(history.append(first.clone()).unwrap(), 1);
    let written = std::fs::read_to_string(history.path()).unwrap();
    assert_eq!(
        history
            .append(entry(
                Command::Update,
                deployed(B, "89abcde"),
                Outcome::Failed
            ))
            .unwrap(),
        2
    );
    let text = std::fs::read_to_string(history.path()).unwrap();
    assert!(text.starts_with(&written), "{text}");
    let entries = history.read().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0], Entry { id: 1, ..first });
    assert_eq!(entries[1].id, 2);
    assert_eq!(entries[1].outcome, Outcome::Failed);
    let line: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    assert_eq!(line["command"], "update");
    assert_eq!(line["outcome"], "failed");
    assert_eq!(line["services"]["vote"]["tag"], "89abcde");
    assert_eq!(line["services"]["vote"]["digest"], B);
}

#[test]
fn a_corrupt_line_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::of(dir.path(), "prod");
    history
        .append(entry(Command::Deploy, deployed(A, "t"), Outcome::Succeeded))
        .unwrap();
    let mut text = std::fs::read_to_string(history.path()).unwrap();
    text.push_str("\n{\"id\": 2, \"time\": \n");
    std::fs::write(history.path(), &text).unwrap();
    let err = history.read().unwrap_err().to_string();
    let expected = format!("{}: line 3: ", history.path().display());
    assert!(err.starts_with(&expected), "{err}");
    let err = history
        .append(entry(Command::Deploy, deployed(A, "t"), Outcome::Succeeded))
        .unwrap_err();
    assert!(err.to_string().starts_with(&expected), "{err}");
    assert_eq!(std::fs::read_to_string(history.path()).unwrap(), text);
}

#[test]
fn a_hand_edit_without_a_last_newline_keeps_lines_apart() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::of(dir.path(), "lab");
    history
        .append(entry(Command::Deploy, deployed(A, "a"), Outcome::Succeeded))
        .unwrap();
    let text = std::fs::read_to_string(history.path()).unwrap();
    std::fs::write(history.path(), text.trim_end()).unwrap();
    history
        .append(entry(Command::Deploy, deployed(B, "b"), Outcome::Succeeded))
        .unwrap();
    assert_eq!(history.read().unwrap().len(), 2);
}

fn numbered(list: Vec<Entry>) -> Vec<Entry> {
    list.into_iter()
        .enumerate()
        .map(|(i, e)| Entry {
            id: i as u64 + 1,
            ..e
        })
        .collect()
}

#[test]
fn rollback_goes_to_the_last_succeeded_version_before_the_current_one() {
    let entries = numbered(vec![
        entry(Command::Deploy, deployed(A, "a"), Outcome::Succeeded),
        entry(Command::Update, deployed(B, "b"), Outcome::Succeeded),
        entry(Command::Deploy, deployed(B, "b"), Outcome::Succeeded),
        entry(Command::Update, deployed(C, "c"), Outcome::Failed),
    ]);
    let (from, to) = previous(&entries, "vote").unwrap();
    assert_eq!((from.id, to.digest.as_str()), (1, A));
    assert!(previous(&entries[..1], "vote").is_none());
    assert!(previous(&entries, "result").is_none());
    assert!(previous(&[], "vote").is_none());
}

#[test]
fn to_names_an_id_a_tag_or_a_digest() {
    let entries = numbered(vec![
        entry(Command::Deploy, deployed(A, "a"), Outcome::Succeeded),
        entry(Command::Update, deployed(B, "b"), Outcome::Succeeded),
        entry(Command::Update, deployed(C, "20261201"), Outcome::Succeeded),
    ]);
    assert_eq!(find(&entries, "vote", "1").unwrap().1.digest, A);
    assert_eq!(find(&entries, "vote", "b").unwrap().1.digest, B);
    assert_eq!(find(&entries, "vote", "20261201").unwrap().1.digest, C);
    assert_eq!(find(&entries, "vote", B).unwrap().0.id, 2);
    assert_eq!(find(&entries, "vote", "bbbbbbbbbbbb").unwrap().0.id, 2);
    assert!(find(&entries, "vote", "bbbb").is_none());
    assert!(find(&entries, "vote", "7").is_none());
    assert!(find(&entries, "result", "1").is_none());
}

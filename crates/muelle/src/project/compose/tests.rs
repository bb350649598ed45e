//! Unit tests of the compose reader: what it accepts, and the errors that name the key.

use super::*;

#[test]
fn unknown_keys_and_dangling_references_are_errors() {
    let lookup = |_: &str| None;
    let err = parse(
        "services:\n  a:\n    image: x\n    privileged: true\n",
        &lookup,
    )
    .unwrap_err();
    assert!(err.contains("privileged"), "{err}");
    let err = parse(
        "services:\n  a:\n    image: x\n    depends_on: [b]\n",
        &lookup,
    )
    .unwrap_err();
    assert_eq!(err, "services.a.depends_on: no service `b`");
    let err = parse(
        "services:\n  a:\n    image: x\n    networks: [front]\n",
        &lookup,
    )
    .unwrap_err();
    assert!(err.starts_with("services.a.networks: "), "{err}");
}

#[test]
fn string_commands_are_split_into_shell_words() {
    let lookup = |_: &str| None;
    let text = "services:\n  a:\n    image: x\n    entrypoint: /bin/sh -c\n    command: sh -c \"echo hi  there\" 'it''s' a\\ b\n";
    let file = parse(text, &lookup).unwrap();
    let service = &file.services["a"];
    let words = |c: &Option<StringOrList>| c.as_ref().unwrap().words().unwrap();
    assert_eq!(words(&service.entrypoint), ["/bin/sh", "-c"]);
    assert_eq!(
        words(&service.command),
        ["sh", "-c", "echo hi  there", "its", "a b"]
    );
    for key in ["command", "entrypoint"] {
        let text = format!("services:\n  a:\n    image: x\n    {key}: sh -c \"echo hi\n");
        let err = parse(&text, &lookup).unwrap_err();
        assert_eq!(
            err,
            format!(
                "services.a.{key}: \"sh -c \\\"echo hi\" has an unterminated quote or a trailing backslash"
            )
        );
    }
}

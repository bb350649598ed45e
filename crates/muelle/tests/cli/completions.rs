//! `muelle completions`: a script for each shell that names the commands.

use crate::common::{Test, project_name};

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let script = Test::new(dir.path(), &project_name("c"))
            .args(&["completions", shell])
            .success();
        for word in ["muelle", "reset", "logs", "bases"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
    }
}

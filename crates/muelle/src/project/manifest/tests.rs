//! The manifest's parsing and checks, from text.

use super::*;

const MINIMAL: &str = "[project]\nname = \"voting\"\n";

#[test]
fn defaults_fill_everything_but_the_name() {
    let m = Manifest::parse(MINIMAL).unwrap();
    assert_eq!(m.project.compose, Path::new("deploy/compose.yaml"));
    assert_eq!(m.build.profile, "release");
    assert_eq!(m.bases.suite, "bookworm");
    assert!(m.services.is_empty());
}

#[test]
fn unknown_keys_are_named_with_their_line() {
    let err = Manifest::parse("[project]\nname = \"v\"\n\n[build]\nprofil = \"x\"\n").unwrap_err();
    assert!(err.starts_with("line 5: unknown field `profil`"), "{err}");
}

#[test]
fn bad_values_name_their_key() {
    let err = Manifest::parse("[project]\nname = \"Voting App\"\n").unwrap_err();
    assert!(err.starts_with("project.name: "), "{err}");
    let err = Manifest::parse(&format!("{MINIMAL}[groups]\nall = [\"vote\"]\n")).unwrap_err();
    assert!(err.starts_with("groups.all: "), "{err}");
    let err = Manifest::parse(&format!(
        "{MINIMAL}[environments.dev]\nregistry = \"https://r\"\nrepository = \"t/\"\n"
    ))
    .unwrap_err();
    assert!(err.starts_with("environments.dev.registry: "), "{err}");
    let err = Manifest::parse(&format!(
        "{MINIMAL}[environments.dev]\nregistry = \"r\"\nrepository = \"Team/\"\n"
    ))
    .unwrap_err();
    assert!(err.starts_with("environments.dev.repository: "), "{err}");
}

#[test]
fn the_example_project_parses() {
    let text = include_str!("../../../../../muelle.toml");
    let m = Manifest::parse(text).unwrap();
    assert_eq!(m.project.name, "voting");
    assert_eq!(m.services["vote"].bin(), "vote");
    assert_eq!(m.groups["backend"], ["redis", "db", "worker"]);
    assert_eq!(m.stack.name.as_deref(), Some("voting"));
    assert_eq!(m.stack.files, [Path::new("deploy/stack.yaml")]);
    assert_eq!(m.stack.lab_files, [Path::new("deploy/stack.lab.yaml")]);
}

#[test]
fn the_stack_defaults_to_deploy_stack_yaml_named_by_the_project() {
    let m = Manifest::parse(MINIMAL).unwrap();
    assert_eq!(m.stack.name, None);
    assert_eq!(m.stack.files, [Path::new("deploy/stack.yaml")]);
    assert!(m.stack.lab_files.is_empty());
    let m = Manifest::parse(&format!(
        "{MINIMAL}[stack]\nname = \"vote-stack\"\nfiles = [\"a.yaml\", \"b.yaml\"]\nlab_files = [\"c.yaml\"]\n"
    ))
    .unwrap();
    assert_eq!(m.stack.name.as_deref(), Some("vote-stack"));
    assert_eq!(m.stack.files, [Path::new("a.yaml"), Path::new("b.yaml")]);
    assert_eq!(m.stack.lab_files, [Path::new("c.yaml")]);
}

#[test]
fn environments_take_an_endpoint_and_variables() {
    let m = Manifest::parse(&format!(
        "{MINIMAL}[environments.prod]\nregistry = \"r\"\nrepository = \"t/\"\nendpoint = \"ssh://deploy@manager1:2222\"\nvariables = {{ INGRESS_DOMAIN = \"vote.example.com\" }}\n\n[environments.dev]\nregistry = \"r\"\nrepository = \"\"\n"
    ))
    .unwrap();
    let prod = &m.environments["prod"];
    assert_eq!(prod.endpoint(), Some("ssh://deploy@manager1:2222"));
    assert_eq!(prod.variables["INGRESS_DOMAIN"], "vote.example.com");
    assert_eq!(m.environments["dev"].endpoint(), None);
    assert!(m.environments["dev"].variables.is_empty());
}

#[test]
fn bad_stack_and_environment_values_name_key_and_line() {
    let env = |extra: &str| {
        Manifest::parse(&format!(
            "{MINIMAL}[environments.prod]\nregistry = \"r\"\nrepository = \"t/\"\n{extra}"
        ))
        .unwrap_err()
    };
    let err = env("endpoint = \"manager1:2376\"\n");
    assert!(
        err.starts_with("line 6: environments.prod.endpoint: \"manager1:2376\" is not a Docker endpoint: give unix://"),
        "{err}"
    );
    let err = env("variables = { \"1X\" = \"v\" }\n");
    assert!(err.starts_with("environments.prod.variables.1X: "), "{err}");
    let err = env("variables = { X = 1 }\n");
    assert!(err.starts_with("line 6: invalid type: integer"), "{err}");
    let err = env("endpiont = \"tcp://h:1\"\n");
    assert!(err.starts_with("line 6: unknown field `endpiont`"), "{err}");
    let err = Manifest::parse(&format!(
        "{MINIMAL}[environments.lab]\nregistry = \"r\"\nrepository = \"\"\n"
    ))
    .unwrap_err();
    assert!(
        err.starts_with("environments.lab: `lab` is the environment of `muelle lab`"),
        "{err}"
    );
    let err = Manifest::parse(&format!("{MINIMAL}[stack]\nname = \"Voting\"\n")).unwrap_err();
    assert!(err.starts_with("stack.name: "), "{err}");
    let err = Manifest::parse(&format!("{MINIMAL}[stack]\nfiles = []\n")).unwrap_err();
    assert!(err.starts_with("stack.files: "), "{err}");
}

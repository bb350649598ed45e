//! Unit tests of loading stacks: the project's own files, content hashes,
//! overrides, relative paths, and errors that name the file, key and line.

use std::path::{Path, PathBuf};

use super::*;
use crate::stack::fixture::RealStack;
use crate::stack::model::{Networks, PortMode};

/// Writes `files` (name, text) into a temporary folder and loads them in order.
fn load_texts(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<StackFile, Error>) {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        paths.push(path);
    }
    let result = load(&StackSource {
        files: paths,
        variables: BTreeMap::new(),
    });
    (dir, result)
}

fn error_of(text: &str) -> (PathBuf, Option<usize>, String) {
    let (dir, result) = load_texts(&[("stack.yaml", text)]);
    match result {
        Err(Error::Invalid {
            file,
            line,
            problem,
        }) => (
            file.strip_prefix(dir.path()).unwrap().to_owned(),
            line,
            problem,
        ),
        other => panic!("{text}: expected an invalid-key error, got {other:?}"),
    }
}

#[test]
fn the_projects_stack_loads_with_its_lab_override() {
    let stack = RealStack::new(true);
    let file = load(&stack.source).unwrap();
    let names: Vec<&str> = file.services.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["db", "ingress", "redis", "result", "vote", "worker"]
    );
    let ingress = &file.services["ingress"];
    // The override's configs: caddyfile replaced in place, acme_ca added.
    let configs: Vec<(&str, Option<&str>)> = ingress
        .configs
        .iter()
        .map(|c| (c.source.as_str(), c.target.as_deref()))
        .collect();
    assert_eq!(
        configs,
        [
            ("caddyfile", Some("/etc/caddy/Caddyfile")),
            ("acme_ca", Some("/etc/caddy/acme-ca.pem")),
        ]
    );
    let env = ingress.environment.as_ref().unwrap().pairs(&|_| None);
    let env: BTreeMap<String, String> = env.into_iter().collect();
    assert_eq!(env["ACME_CA"], "https://pebble:14000/dir");
    assert_eq!(env["INGRESS_DOMAIN"], "voting.lab.test");
    assert_eq!(env["ACME_CA_ROOT"], "/etc/caddy/acme-ca.pem");
    assert_eq!(ingress.extra_hosts.0, ["pebble:10.99.0.5"]);
    assert!(ingress.ports.iter().all(|p| p.mode == PortMode::Host));
    assert!(matches!(&file.services["vote"].networks, Some(Networks::Map(m)) if m.len() == 3));
    // Secret and config names carry their content's hash; the files are read.
    let password = std::fs::read(stack.password_file()).unwrap();
    let secret = &file.secrets["db_password"];
    assert_eq!(
        secret.name.as_deref(),
        Some(format!("db_password_{}", content_hash(&password)).as_str())
    );
    assert_eq!(secret.data.as_deref(), Some(password.as_slice()));
    let caddyfile = &file.configs["caddyfile"];
    assert!(caddyfile.file.as_ref().unwrap().is_absolute());
    let text = std::fs::read(caddyfile.file.as_ref().unwrap()).unwrap();
    assert_eq!(
        caddyfile.name.as_deref(),
        Some(format!("caddyfile_{}", content_hash(&text)).as_str())
    );
    assert!(
        file.configs["acme_ca"]
            .name
            .as_ref()
            .unwrap()
            .starts_with("acme_ca_")
    );
}

#[test]
fn a_changed_password_file_changes_the_secret_name() {
    let stack = RealStack::new(false);
    let name = |s: &StackSource| {
        load(s).unwrap().secrets["db_password"]
            .name
            .clone()
            .unwrap()
    };
    let first = name(&stack.source);
    assert_eq!(
        first,
        name(&stack.source),
        "the same content, the same name"
    );
    std::fs::write(stack.password_file(), "second password\n").unwrap();
    let second = name(&stack.source);
    assert_ne!(first, second);
    assert_eq!(second.len(), "db_password_".len() + HASH_DIGITS);
    // A hash the caller sets wins over the computed one.
    let mut given = stack.source.clone();
    given
        .variables
        .insert("DB_PASSWORD_HASH".into(), "pinned".into());
    assert_eq!(name(&given), "db_password_pinned");
}

#[test]
fn a_required_variable_names_the_file_line_and_message() {
    let mut stack = RealStack::new(false);
    stack.source.variables.remove("VOTE_IMAGE");
    let err = load(&stack.source).unwrap_err().to_string();
    let text = std::fs::read_to_string(&stack.source.files[0]).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("${VOTE_IMAGE"))
        .unwrap()
        + 1;
    assert_eq!(
        err,
        format!(
            "{}:{line}: services.vote.image: VOTE_IMAGE is required: set VOTE_IMAGE to the vote image, by digest",
            stack.source.files[0].display()
        )
    );
}

#[test]
fn bad_keys_name_the_file_key_and_line() {
    let base = "services:\n  web:\n    image: web\n";
    let cases: [(&str, usize, &str); 14] = [
        (
            "    privileged: true\n",
            4,
            "services.web.privileged: unknown field `privileged`",
        ),
        (
            "    deploy:\n      replicas: many\n",
            5,
            "services.web.deploy.replicas: \"many\" is not",
        ),
        (
            "    deploy:\n      endpoint_mode: round-robin\n",
            5,
            "services.web.deploy.endpoint_mode: unknown variant",
        ),
        (
            "    deploy:\n      update_config:\n        failure_action: explode\n",
            6,
            "services.web.deploy.update_config.failure_action: unknown variant `explode`",
        ),
        (
            "    deploy:\n      rollback_config:\n        failure_action: rollback\n",
            6,
            "services.web.deploy.rollback_config.failure_action: a rollback cannot roll back",
        ),
        (
            "    deploy:\n      mode: global\n      replicas: 2\n",
            6,
            "services.web.deploy.replicas: a global service",
        ),
        (
            "    deploy:\n      mode: global\n      placement:\n        max_replicas_per_node: 1\n",
            7,
            "services.web.deploy.placement.max_replicas_per_node: a global service",
        ),
        (
            "    ports: [\"80:80\"]\n    deploy:\n      endpoint_mode: dnsrr\n",
            4,
            "services.web.ports[0]: endpoint_mode dnsrr",
        ),
        (
            "    ports:\n      - { target: 80, mode: hots }\n",
            5,
            "services.web.ports[0].mode: unknown variant `hots`",
        ),
        (
            "    networks: [front]\n",
            4,
            "services.web.networks: network \"front\" is not declared",
        ),
        (
            "    secrets: [nope]\n",
            4,
            "services.web.secrets[0]: \"nope\" is not declared",
        ),
        (
            "    volumes: [\"data:/data\"]\n",
            4,
            "services.web.volumes[0]: volume \"data\" is not declared",
        ),
        (
            "    stop_grace_period: soon\n",
            4,
            "services.web.stop_grace_period: \"soon\" is not a duration",
        ),
        (
            "    deploy:\n      resources:\n        limits: { memory: 12 apples }\n",
            6,
            "services.web.deploy.resources.limits.memory: \"12 apples\" is not a size",
        ),
    ];
    for (tail, line, wanted) in cases {
        let (file, found, problem) = error_of(&format!("{base}{tail}"));
        assert_eq!(file, Path::new("stack.yaml"));
        assert!(problem.starts_with(wanted), "{tail}: {problem}");
        assert_eq!(found, Some(line), "{tail}: {problem}");
    }
    let (_, line, problem) = error_of("services:\n  web: [\n");
    assert!(line.is_some(), "{problem}");
    let (_, line, problem) = error_of("services:\n  web:\n    build: .\n");
    assert_eq!(
        (line, problem.as_str()),
        (
            Some(2),
            "services.web.image: every service of a stack needs an image"
        )
    );
}

#[test]
fn an_override_merges_and_its_errors_name_its_own_file() {
    let base = "x-env: &env\n  A: a\nservices:\n  web:\n    image: web:1\n    environment:\n      <<: *env\n      B: b\n    extra_hosts: [\"one:10.0.0.1\"]\n    ports: [\"80:8080\", \"443:8443\"]\n    command: [serve, --fast]\n    deploy: { replicas: 2, labels: [tier=front] }\nnetworks:\n  default:\n";
    let over = "services:\n  web:\n    image: web:2\n    environment: [B=override, C=c]\n    extra_hosts: { two: 10.0.0.2 }\n    ports: [{ target: 9000, published: 443, mode: host }]\n    command: [serve]\n    deploy: { labels: { tier: back, zone: a } }\n";
    let (_dir, result) = load_texts(&[("stack.yaml", base), ("override/lab.yaml", over)]);
    let file = result.unwrap();
    let web = &file.services["web"];
    assert_eq!(web.image.as_deref(), Some("web:2"));
    let env: Vec<(String, String)> = web.environment.as_ref().unwrap().pairs(&|_| None);
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(env, [pair("A", "a"), pair("B", "override"), pair("C", "c")]);
    assert_eq!(web.extra_hosts.0, ["one:10.0.0.1", "two:10.0.0.2"]);
    let ports: Vec<(u16, Option<u16>)> =
        web.ports.iter().map(|p| (p.target, p.published)).collect();
    assert_eq!(ports, [(8080, Some(80)), (9000, Some(443))]);
    assert_eq!(web.command.as_ref().unwrap().words().unwrap(), ["serve"]);
    let deploy = web.deploy.as_ref().unwrap();
    assert_eq!(deploy.replicas.as_ref().map(|r| r.0), Some(2));
    let labels = deploy.labels.as_ref().unwrap().pairs(&|_| None);
    assert_eq!(labels, [pair("tier", "back"), pair("zone", "a")]);

    let bad = "services:\n  web:\n    deploy:\n      update_config: { order: sideways }\n";
    let (dir, result) = load_texts(&[("stack.yaml", base), ("lab.yaml", bad)]);
    let err = result.unwrap_err().to_string();
    let lab = dir.path().join("lab.yaml");
    assert!(
        err.starts_with(&format!(
            "{}:4: services.web.deploy.update_config.order: unknown variant `sideways`",
            lab.display()
        )),
        "{err}"
    );
}

#[test]
fn relative_files_start_at_the_file_that_names_them() {
    let base = "services:\n  web:\n    image: web\n    volumes: [\"./static:/srv:ro\"]\n    configs: [site]\nconfigs:\n  site:\n    name: site_${SITE_HASH}\n    file: ./site.conf\n";
    let over = "configs:\n  site:\n    name: site_${SITE_HASH}\n    file: ../conf/site.conf\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("lab")).unwrap();
    std::fs::create_dir_all(dir.path().join("conf")).unwrap();
    std::fs::write(dir.path().join("site.conf"), "base").unwrap();
    std::fs::write(dir.path().join("conf/site.conf"), "lab").unwrap();
    std::fs::write(dir.path().join("stack.yaml"), base).unwrap();
    std::fs::write(dir.path().join("lab/over.yaml"), over).unwrap();
    let source = |files: &[&str]| StackSource {
        files: files.iter().map(|f| dir.path().join(f)).collect(),
        variables: BTreeMap::new(),
    };
    let alone = load(&source(&["stack.yaml"])).unwrap();
    assert_eq!(alone.configs["site"].data.as_deref(), Some(&b"base"[..]));
    assert_eq!(
        alone.configs["site"].name.as_deref(),
        Some(format!("site_{}", content_hash(b"base")).as_str())
    );
    let source_of = alone.services["web"].volumes[0].source.clone().unwrap();
    assert_eq!(PathBuf::from(source_of), dir.path().join("static"));
    let both = load(&source(&["stack.yaml", "lab/over.yaml"])).unwrap();
    assert_eq!(both.configs["site"].data.as_deref(), Some(&b"lab"[..]));
    assert_eq!(
        both.configs["site"].file.as_deref(),
        Some(dir.path().join("conf/site.conf").as_path())
    );
    // A missing file is an error on the key that names it.
    std::fs::remove_file(dir.path().join("site.conf")).unwrap();
    let err = load(&source(&["stack.yaml"])).unwrap_err().to_string();
    assert!(
        err.contains("stack.yaml:9: configs.site.file: cannot read"),
        "{err}"
    );
}

#[test]
fn hash_variables_are_named_after_their_key() {
    assert_eq!(hash_variable("db_password"), "DB_PASSWORD_HASH");
    assert_eq!(hash_variable("acme-ca"), "ACME_CA_HASH");
    assert_eq!(content_hash(b"").len(), HASH_DIGITS);
    assert_eq!(content_hash(b""), "e3b0c44298fc");
}

//! Registry credentials and the one-line errors around them: none given,
//! wrong ones, the right ones from the environment and from Docker's
//! `config.json` (stored, and through a credential helper); plus an unknown
//! environment or service and a registry that is not there, all refused
//! before anything is built.

use base64::Engine;

use crate::common::{Cleanup, Test, free_port, project_name};
use crate::registries::{LiveRegistry, git_project};

const USER: &str = "muelle";
const PASSWORD: &str = "correct-horse-battery";

#[test]
fn an_htpasswd_registry_refuses_missing_and_wrong_credentials_and_takes_right_ones() {
    let registry = LiveRegistry::start(Some((USER, PASSWORD)));
    let host = registry.host();
    let fixture = git_project(&host);
    let project = project_name("auth");
    let image = format!("muelle-test/{project}:local");
    let _cleanup = Cleanup::new(&project)
        .image(&image)
        .images_under(&format!("{host}/"));
    let docker_config = tempfile::tempdir().unwrap();
    let muelle = |args: &[&str]| {
        Test::new(fixture.path(), &project)
            .env("HELLO_IMAGE", &image)
            .env("DOCKER_CONFIG", docker_config.path())
            .args(args)
    };

    let line = muelle(&["push", "--env", "dev"]).failure(1);
    assert!(
        line.starts_with(&format!(
            "muelle: registry {host} refused access (it asks for credentials and none were given): set MUELLE_DEV_REGISTRY_USERNAME and MUELLE_DEV_REGISTRY_PASSWORD"
        )),
        "{line}"
    );

    let output = muelle(&["push", "--env", "dev"])
        .env("MUELLE_REGISTRY_USERNAME", USER)
        .env("MUELLE_REGISTRY_PASSWORD", "wrong-password-123")
        .output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "muelle: registry {host} refused access (wrong credentials for user muelle from MUELLE_REGISTRY_USERNAME)"
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains("wrong-password-123"),
        "the password was printed: {stderr}"
    );
    assert!(registry.tags("team/dev_hello").is_empty());

    let stdout = muelle(&["push", "--env", "prod", "-m", "behind auth"])
        .env("MUELLE_PROD_REGISTRY_USERNAME", USER)
        .env("MUELLE_PROD_REGISTRY_PASSWORD", PASSWORD)
        .success();
    assert!(
        stdout.starts_with(&format!("hello    {host}/team/hello:")),
        "{stdout}"
    );
    assert!(!stdout.contains(PASSWORD));
    assert_eq!(registry.tags("team/hello").len(), 3);

    // `releases` asks the registry with what `docker login` stored.
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    std::fs::write(
        docker_config.path().join("config.json"),
        format!(r#"{{"auths": {{"http://{host}": {{"auth": "{auth}"}}}}}}"#),
    )
    .unwrap();
    let listed = muelle(&["releases"]).success();
    assert_first_release_present(&listed);
    assert!(!listed.contains(PASSWORD));

    // ... and with what a credential helper keeps.
    let helpers = tempfile::tempdir().unwrap();
    let helper = helpers.path().join("docker-credential-muelletest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nserver=$(cat)\n[ \"$server\" = \"{host}\" ] || {{ echo 'credentials not found in native keychain'; exit 1; }}\necho '{{\"ServerURL\":\"{host}\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}'\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        docker_config.path().join("config.json"),
        format!(r#"{{"credHelpers": {{"{host}": "muelletest"}}}}"#),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        helpers.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let listed = muelle(&["releases"]).env("PATH", &path).success();
    assert_first_release_present(&listed);
    let line = muelle(&["releases"]).failure(2);
    assert!(
        line.contains("docker-credential-muelletest get: cannot run it"),
        "{line}"
    );
}

#[test]
fn unknown_environments_services_and_absent_registries_are_one_line_errors() {
    let absent = format!("127.0.0.1:{}", free_port());
    let fixture = git_project(&absent);
    let project = project_name("regerr");
    let muelle = |args: &[&str]| Test::new(fixture.path(), &project).args(args);

    assert_eq!(
        muelle(&["push", "--env", "stage"]).failure(2),
        "muelle: unknown environment `stage`: choose dev, prod (muelle.toml's [environments]) or lab (`muelle lab up`)"
    );
    assert_eq!(
        muelle(&["push", "--env", "dev", "helo"]).failure(2),
        "muelle: unknown service `helo`: muelle builds hello"
    );
    assert_eq!(
        muelle(&["releases", "helo"]).failure(2),
        "muelle: unknown service `helo`: muelle builds hello"
    );
    let line = muelle(&["push", "--env", "dev"]).failure(1);
    assert!(
        line.starts_with(&format!("muelle: cannot reach registry {absent}: ")),
        "{line}"
    );
    assert!(line.contains("refused"), "{line}");
}

/// The first release under the table's header is still in the registry.
fn assert_first_release_present(listed: &str) {
    assert!(
        listed
            .lines()
            .nth(1)
            .is_some_and(|r| r.contains(" present ")),
        "{listed}"
    );
}

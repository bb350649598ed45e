//! Unit tests of the stack model: both syntaxes of each key, the scalar
//! forms interpolation leaves, and the values Swarm would not accept.

use super::*;

fn service(yaml: &str) -> Result<Service, String> {
    serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())
}

#[test]
fn ports_in_both_syntaxes() {
    let s = service(
        "ports:\n  - 8080\n  - \"80:8080/udp\"\n  - { target: 443, published: \"443\", mode: host }\n",
    )
    .unwrap();
    let port = |target, published, protocol, mode| Port {
        target,
        published,
        protocol,
        mode,
    };
    assert_eq!(
        s.ports,
        [
            port(8080, None, Protocol::Tcp, PortMode::Ingress),
            port(8080, Some(80), Protocol::Udp, PortMode::Ingress),
            port(443, Some(443), Protocol::Tcp, PortMode::Host),
        ]
    );
    let err = service("ports:\n  - { target: 80, mode: hots }\n").unwrap_err();
    assert!(err.contains("unknown variant `hots`"), "{err}");
    assert!(
        service("ports:\n  - \"127.0.0.1:80:80\"\n")
            .unwrap_err()
            .contains("drop")
    );
    assert!(
        service("ports:\n  - { target: 70000 }\n")
            .unwrap_err()
            .contains("not a port")
    );
}

#[test]
fn volumes_in_both_syntaxes() {
    let s = service(
        "volumes:\n  - db-data:/data\n  - ./conf:/etc/conf:ro\n  - /cache\n  - { type: tmpfs, target: /tmp, tmpfs: { size: 64M } }\n",
    )
    .unwrap();
    let kinds: Vec<_> = s
        .volumes
        .iter()
        .map(|v| (v.kind, v.source.as_deref(), v.read_only))
        .collect();
    assert_eq!(
        kinds,
        [
            (MountKind::Volume, Some("db-data"), false),
            (MountKind::Bind, Some("./conf"), true),
            (MountKind::Volume, None, false),
            (MountKind::Tmpfs, None, false),
        ]
    );
    assert_eq!(s.volumes[3].tmpfs_size, Some(64 << 20));
    let err = service("volumes:\n  - { type: bind, target: /x }\n").unwrap_err();
    assert!(err.contains("needs a source"), "{err}");
    assert!(
        service("volumes:\n  - a:/b:rx\n")
            .unwrap_err()
            .contains("unknown option")
    );
}

#[test]
fn secret_references_in_both_syntaxes() {
    let s = service(
        "secrets:\n  - db_password\n  - { source: tls, target: /etc/tls.pem, uid: 0, gid: \"70\", mode: \"0400\" }\n",
    )
    .unwrap();
    assert_eq!(s.secrets[0].source, "db_password");
    assert_eq!(s.secrets[0].target, None);
    let long = &s.secrets[1];
    assert_eq!(
        (long.uid.as_deref(), long.gid.as_deref()),
        (Some("0"), Some("70"))
    );
    assert_eq!(long.mode, Some(0o400));
    assert!(
        service("secrets:\n  - { source: a, owner: b }\n")
            .unwrap_err()
            .contains("owner")
    );
}

#[test]
fn scalars_take_the_strings_interpolation_leaves() {
    let d: Deploy = serde_yaml_ng::from_str(
        "replicas: \"2\"\nresources:\n  limits: { cpus: \"0.50\", memory: 256M, pids: 100 }\n  reservations: { cpus: 1, memory: 1.5g }\nupdate_config:\n  monitor: 1m30s\n  max_failure_ratio: \"0.1\"\n",
    )
    .unwrap();
    assert_eq!(d.replicas, Some(scalar::Count(2)));
    let resources = d.resources.unwrap();
    let limits = resources.limits.unwrap();
    assert_eq!(limits.cpus, Some(scalar::NanoCpus(500_000_000)));
    assert_eq!(limits.memory, Some(scalar::Bytes(256 << 20)));
    let reservations = resources.reservations.unwrap();
    assert_eq!(reservations.cpus, Some(scalar::NanoCpus(1_000_000_000)));
    assert_eq!(reservations.memory, Some(scalar::Bytes(3 << 29)));
    let update = d.update_config.unwrap();
    assert_eq!(update.monitor, Some(scalar::Nanos(90_000_000_000)));
    assert_eq!(update.max_failure_ratio, Some(scalar::Ratio(0.1)));
}

#[test]
fn bad_values_are_errors_naming_them() {
    let deploy = |yaml: &str| {
        serde_yaml_ng::from_str::<Deploy>(yaml)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    for (yaml, wanted) in [
        ("replicas: two\n", "\"two\" is not a whole number"),
        ("endpoint_mode: dns\n", "unknown variant `dns`"),
        ("mode: everywhere\n", "unknown variant `everywhere`"),
        (
            "update_config: { failure_action: stop }\n",
            "unknown variant `stop`",
        ),
        (
            "update_config: { order: first }\n",
            "unknown variant `first`",
        ),
        ("update_config: { delay: 5 }\n", "\"5\" lacks a unit"),
        (
            "restart_policy: { condition: always }\n",
            "unknown variant `always`",
        ),
        (
            "resources: { limits: { memory: lots } }\n",
            "\"lots\" is not a size",
        ),
        (
            "resources: { limits: { memory: 5X } }\n",
            "\"5X\" is not a size",
        ),
        (
            "resources: { limits: { cpus: half } }\n",
            "not a number of CPUs",
        ),
        (
            "placement: { constraint: [] }\n",
            "unknown field `constraint`",
        ),
    ] {
        let err = deploy(yaml);
        assert!(err.contains(wanted), "{yaml}: {err}");
    }
}

#[test]
fn top_level_entries_may_be_empty() {
    let file: StackFile = serde_yaml_ng::from_str(
        "services: {}\nnetworks:\n  edge:\n  back: { driver: overlay, attachable: true }\nvolumes:\n  data: {}\n",
    )
    .unwrap();
    assert!(file.networks["edge"].driver.is_none());
    assert_eq!(file.networks["back"].attachable, Some(scalar::Flag(true)));
    assert!(file.volumes.contains_key("data"));
}

//! Unit tests of the registry client's pure parts: which hosts are spoken to over plain HTTP.

use super::base_url;

#[test]
fn loopback_registries_are_plain_http_like_the_engine_allows() {
    assert_eq!(base_url("127.0.0.1:5000"), "http://127.0.0.1:5000");
    assert_eq!(base_url("localhost:5000"), "http://localhost:5000");
    assert_eq!(
        base_url("registry.example.com"),
        "https://registry.example.com"
    );
    assert_eq!(
        base_url("localhost.example.com"),
        "https://localhost.example.com"
    );
}

#[test]
fn only_true_loopback_hosts_are_plain_http() {
    for host in [
        "localhost",
        "LOCALHOST:5000",
        "127.0.0.1",
        "127.1.2.3:443",
        "[::1]",
        "[::1]:5000",
        "[::ffff:127.0.0.1]:5000",
    ] {
        assert_eq!(base_url(host), format!("http://{host}"), "{host}");
    }
    for host in [
        "127.example.com",
        "127.0.0.1.example.com:5000",
        "127.0.0.1.nip.io",
        "localhost.localdomain.example:5000",
        "[::1].example.com",
        "[::2]:5000",
        "128.0.0.1:5000",
        "0.0.0.0:5000",
        "registry:5000",
    ] {
        assert_eq!(base_url(host), format!("https://{host}"), "{host}");
    }
}

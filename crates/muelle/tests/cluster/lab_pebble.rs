//! Pebble, the lab's ACME server: its directory answers on the host's
//! loopback over TLS that verifies with the CA `lab up` copied out, and
//! does not verify without it; the issuing root was saved too.

use testkit::Lab;

pub fn directory_answers_over_verified_tls(lab: &Lab) {
    let directory = lab.field("/pebble/directory");
    assert!(directory.starts_with("https://127.0.0.1:"), "{directory}");
    let ca =
        std::fs::read(lab.field("/pebble/ca_file")).expect("pebble's CA in the state directory");
    let root = std::fs::read_to_string(lab.field("/pebble/root_file"))
        .expect("pebble's root in the state directory");
    assert!(root.contains("BEGIN CERTIFICATE"), "{root}");
    assert_eq!(
        lab.field("/variables/ACME_CA_FILE"),
        lab.field("/pebble/ca_file")
    );
    assert_eq!(
        lab.field("/variables/LAB_PEBBLE_IP"),
        lab.field("/pebble/address")
    );

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let ca = reqwest::Certificate::from_pem(&ca).expect("a PEM CA");
        let verified = reqwest::Client::builder()
            .tls_certs_only([ca])
            .build()
            .unwrap();
        let answer: serde_json::Value = verified
            .get(&directory)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("pebble's directory answers")
            .json()
            .await
            .expect("the directory is JSON");
        for key in ["newNonce", "newAccount", "newOrder"] {
            assert!(
                answer[key]
                    .as_str()
                    .is_some_and(|u| u.starts_with("https://")),
                "{answer}"
            );
        }
        // Without the lab's CA the same request must fail: the check is real.
        let unverified = reqwest::Client::builder()
            .tls_certs_only([])
            .build()
            .unwrap();
        assert!(
            unverified.get(&directory).send().await.is_err(),
            "TLS verified without the lab CA"
        );
    });
}

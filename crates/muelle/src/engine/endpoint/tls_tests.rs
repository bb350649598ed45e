//! `tcp://` with TLS against the real daemon: a loopback listener that
//! speaks TLS, demands a client certificate from the test's own CA, and
//! forwards to the daemon's socket stands in for `dockerd --tlsverify`.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, UnixStream};

use super::*;

/// Runs openssl in `dir`, failing the test with its stderr.
fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate,
/// named as Docker names them (`ca.pem`, `cert.pem`, `key.pem` for the
/// client; `server.pem`, `server-key.pem` for the listener).
fn certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let ca = [
        &["req", "-x509"][..],
        &ec,
        &["-keyout", "ca-key.pem", "-out", "ca.pem"],
    ];
    openssl(
        dir,
        &[
            ca.concat(),
            vec!["-days", "1", "-subj", "/CN=muelle test CA"],
        ]
        .concat(),
    );
    for (name, key, usage) in [
        (
            "server",
            "server-key.pem",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        ),
        ("cert", "key.pem", "extendedKeyUsage=clientAuth\n"),
    ] {
        let csr = format!("{name}.csr");
        std::fs::write(dir.join(format!("{name}.ext")), usage).unwrap();
        let request = [
            &["req"][..],
            &ec,
            &["-keyout", key, "-out", &csr, "-subj", "/CN=127.0.0.1"],
        ];
        openssl(dir, &request.concat());
        let ext = format!("{name}.ext");
        let out = format!("{name}.pem");
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                &ext,
                "-out",
                &out,
            ],
        );
    }
}

/// The listener's TLS set-up: its certificate, and clients must show one
/// signed by the CA.
fn server_config(dir: &Path) -> rustls::ServerConfig {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(dir.join("ca.pem")).unwrap())
        .unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .unwrap();
    rustls::ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_file(dir.join("server.pem")).unwrap()],
            PrivateKeyDer::from_pem_file(dir.join("server-key.pem")).unwrap(),
        )
        .unwrap()
}

#[tokio::test]
async fn tcp_with_tls_and_a_client_certificate_reaches_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config(dir.path())));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let forward = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let (Ok(mut tls), Ok(mut unix)) = (
                    acceptor.accept(tcp).await,
                    UnixStream::connect(DEFAULT_SOCKET).await,
                ) else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut unix).await;
            });
        }
    });
    let env = Environment {
        host: Some(format!("tcp://127.0.0.1:{port}")),
        tls_verify: true,
        cert_path: Some(dir.path().to_owned()),
        config_dir: dir.path().to_owned(),
        ..Environment::default()
    };
    let endpoint = Endpoint::resolve(&env).unwrap();
    let outcome = async {
        let docker = connect(&endpoint).await?;
        docker.version().await.map_err(|source| Error::Api {
            action: "ask the version".into(),
            source,
        })
    }
    .await;
    forward.abort();
    let version = outcome.unwrap();
    assert!(version.api_version.is_some());
}

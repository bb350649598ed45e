//! A stand-in for the lab's HTTPS ingress in front of a real service: a
//! certificate authority and a certificate for `voting.lab.test` made with
//! the `openssl` command, a tokio-rustls listener that forwards every
//! connection to the service, and a plain listener that answers every
//! request with a 308 to https, as Caddy does.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// The name the ingress' certificate is for.
pub const NAME: &str = "voting.lab.test";

/// A certificate authority, a certificate for [`NAME`] it signed, and an
/// unrelated authority, in a temporary directory.
pub struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
        for name in ["ca", "other-ca"] {
            openssl(&[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN=loadgen test {name}"),
                "-keyout",
                &path(&format!("{name}.key")),
                "-out",
                &path(&format!("{name}.pem")),
            ]);
        }
        std::fs::write(
            dir.path().join("server.ext"),
            format!(
                "subjectAltName=DNS:{NAME}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            ),
        )
        .unwrap();
        openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            &format!("/CN={NAME}"),
            "-keyout",
            &path("server.key"),
            "-out",
            &path("server.csr"),
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &path("server.csr"),
            "-CA",
            &path("ca.pem"),
            "-CAkey",
            &path("ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &path("server.ext"),
            "-out",
            &path("server.pem"),
        ]);
        Pki { dir }
    }

    /// The authority that signed the ingress' certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// An authority that signed nothing the ingress serves.
    pub fn other_ca(&self) -> PathBuf {
        self.dir.path().join("other-ca.pem")
    }

    fn acceptor(&self) -> TlsAcceptor {
        let file = |name: &str| self.dir.path().join(name);
        let chain = CertificateDer::pem_file_iter(file("server.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(file("server.key")).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TlsAcceptor::from(Arc::new(config))
    }
}

fn openssl(args: &[&str]) {
    let output = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("running openssl");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The ingress: https on one port, the redirect to it on another, both on
/// loopback; stops when dropped.
pub struct Ingress {
    pub https_port: u16,
    pub http_port: u16,
    stop: CancellationToken,
}

impl Ingress {
    /// Terminates TLS with `pki`'s certificate and forwards to `backend`.
    pub async fn start(pki: &Pki, backend: SocketAddr) -> Ingress {
        let stop = CancellationToken::new();
        let https = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ingress = Ingress {
            https_port: https.local_addr().unwrap().port(),
            http_port: http.local_addr().unwrap().port(),
            stop: stop.clone(),
        };
        let acceptor = pki.acceptor();
        tokio::spawn(serve(https, stop.clone(), move |client| {
            let acceptor = acceptor.clone();
            async move {
                let Ok(mut client) = acceptor.accept(client).await else {
                    return;
                };
                let Ok(mut service) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut client, &mut service).await;
            }
        }));
        tokio::spawn(serve(http, stop, redirect));
        ingress
    }

    /// The `--connect-to` rule for https URLs on `port` of [`NAME`].
    pub fn connect_https(&self, port: u16) -> String {
        format!("{NAME}:{port}:127.0.0.1:{}", self.https_port)
    }
}

impl Drop for Ingress {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Accepts connections until stopped, each handled by its own task.
async fn serve<F, Fut>(listener: TcpListener, stop: CancellationToken, handle: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.cancelled() => return,
        };
        if let Ok((stream, _)) = accepted {
            tokio::spawn(handle(stream));
        }
    }
}

/// Answers each request on a keep-alive connection with a 308 to https.
async fn redirect(mut client: TcpStream) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        while let Some(end) = find(&pending, b"\r\n\r\n") {
            let head: Vec<u8> = pending.drain(..end + 4).collect();
            let length = content_length(&head);
            while pending.len() < length {
                match client.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(read) => pending.extend_from_slice(&buf[..read]),
                }
            }
            pending.drain(..length);
            let path = head.split(|b| *b == b' ').nth(1).unwrap_or(b"/");
            let answer = format!(
                "HTTP/1.1 308 Permanent Redirect\r\nLocation: https://{NAME}{}\r\n\
                 Content-Length: 0\r\n\r\n",
                String::from_utf8_lossy(path)
            );
            if client.write_all(answer.as_bytes()).await.is_err() {
                return;
            }
        }
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(read) => pending.extend_from_slice(&buf[..read]),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

/// The address a service URL such as `http://127.0.0.1:1234/` listens on.
pub fn addr_of(url: &str) -> SocketAddr {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    host.parse().expect("a service URL on an IP address")
}

/// `path` as a string argument.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

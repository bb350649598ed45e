//! HTTPS: the roots an `https://` target's certificate must chain to, and
//! the stream a connection runs on, plain TCP or TLS over it.
//!
//! The TLS set-up happens once per target, before the load; a connection
//! then costs a TCP connect and a handshake (resumed after the first). The
//! plain variant of [`Stream`] adds one branch per read or write to
//! `http://` runs, nothing else.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Once};
use std::task::{Context, Poll};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::Error;
use crate::target::Target;

/// TLS towards one server: its name (for SNI and the certificate check)
/// and the client configuration with the roots to trust.
#[derive(Clone)]
pub(crate) struct Tls {
    connector: TlsConnector,
    name: ServerName<'static>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls").field("name", &self.name).finish()
    }
}

impl Tls {
    /// TLS to `host`, trusting the certificates in the PEM files `ca`, or
    /// the system's roots when there are none.
    pub(crate) fn new(host: &str, ca: &[PathBuf]) -> Result<Tls, Error> {
        let name = ServerName::try_from(host.to_owned()).map_err(|e| Error::Tls {
            reason: format!("{host:?} is not a server name: {e}"),
        })?;
        let roots = if ca.is_empty() {
            system_roots()?
        } else {
            roots_from(ca)?
        };
        install_provider();
        let mut config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            connector: TlsConnector::from(Arc::new(config)),
            name,
        })
    }
}

/// Installs aws-lc-rs as the process's crypto provider, once. Another part
/// of the process may have installed one first; that one is used then.
fn install_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

fn roots_from(files: &[PathBuf]) -> Result<rustls::RootCertStore, Error> {
    let mut roots = rustls::RootCertStore::empty();
    for file in files {
        let bad = |reason: String| Error::Tls {
            reason: format!("cannot use --ca {}: {reason}", file.display()),
        };
        let certs = CertificateDer::pem_file_iter(file)
            .map_err(|e| bad(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("no PEM certificate in it".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| bad(e.to_string()))?;
        }
    }
    Ok(roots)
}

fn system_roots() -> Result<rustls::RootCertStore, Error> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found
            .errors
            .first()
            .map_or_else(|| "none found".to_owned(), ToString::to_string);
        return Err(Error::Tls {
            reason: format!("cannot load the system's root certificates ({why}); pass --ca FILE"),
        });
    }
    Ok(roots)
}

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    /// The TCP connection failed.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// Where.
        addr: std::net::SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The TLS handshake failed: usually a certificate not signed by a
    /// trusted root, or issued for another name.
    #[error("TLS handshake with {name} failed: {source}{hint}")]
    Tls {
        /// The name the certificate was checked against.
        name: String,
        /// rustls' reason.
        source: io::Error,
        /// What to try, when the reason suggests it.
        hint: &'static str,
    },
}

/// A connection's byte stream: plain TCP, or TLS over it.
pub(crate) enum Stream {
    /// `http://`.
    Plain(TcpStream),
    /// `https://`.
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    /// Connects to `target` with Nagle's algorithm off, since every request
    /// is a single small write that should leave at once, and for https
    /// completes the handshake.
    pub(crate) async fn open(target: &Target) -> Result<Stream, OpenError> {
        let addr = target.addr();
        let connected = async {
            let tcp = TcpStream::connect(addr).await?;
            tcp.set_nodelay(true)?;
            Ok(tcp)
        };
        let tcp = connected
            .await
            .map_err(|source| OpenError::Connect { addr, source })?;
        match target.tls() {
            None => Ok(Stream::Plain(tcp)),
            Some(tls) => match tls.connector.connect(tls.name.clone(), tcp).await {
                Ok(stream) => Ok(Stream::Tls(Box::new(stream))),
                Err(source) => Err(OpenError::Tls {
                    name: tls.name.to_str().into_owned(),
                    hint: hint_for(&source),
                    source,
                }),
            },
        }
    }
}

/// A hint for a certificate no trusted root signed: the usual mistake is a
/// missing or wrong `--ca`.
fn hint_for(error: &io::Error) -> &'static str {
    let unknown_issuer = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| {
            matches!(
                e,
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
            )
        });
    if unknown_issuer {
        " (pass the authority that signed the server's certificate with --ca FILE)"
    } else {
        ""
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

//! The accept loop: each connection starts on the lean path and moves to
//! hyper and the router when a request needs them.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use voting::gate::Slot;
use voting::limits::ConnectionLimits;

use crate::lean::{self, Lean, Outcome};
use crate::routes::State;

/// Serves `router` (with the lean path in front) on `listener` until
/// `shutdown` is cancelled, then waits for every connection to finish its
/// request in flight.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    router: Router,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) {
    let token = shutdown.clone();
    voting::accept::serve_connections(listener, &limits, shutdown, move |stream, slot| {
        connection(
            stream,
            slot,
            state.clone(),
            router.clone(),
            limits,
            token.clone(),
        )
    })
    .await;
}

async fn connection(
    mut stream: TcpStream,
    slot: Slot,
    state: Arc<State>,
    router: Router,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) {
    let lean = Lean {
        slot: &slot,
        limits: &limits,
        shutdown: &shutdown,
    };
    match lean::serve(&mut stream, &state, lean).await {
        Outcome::Closed => {}
        // Boxed: a task is as large as its largest state, and hyper's
        // connection would otherwise make every lean connection as large.
        Outcome::HandOver(read) => {
            let io = Replay { read, stream };
            let http = voting::accept::serve_http(io, router, &slot, &limits, &shutdown);
            Box::pin(http).await;
        }
    }
}

/// A connection whose first bytes were already read by the lean path:
/// reading gives those bytes again, then what the socket has.
struct Replay {
    read: BytesMut,
    stream: TcpStream,
}

impl AsyncRead for Replay {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.read.is_empty() {
            return Pin::new(&mut self.stream).poll_read(cx, buf);
        }
        let n = self.read.len().min(buf.remaining());
        buf.put_slice(&self.read[..n]);
        self.read.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Replay {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

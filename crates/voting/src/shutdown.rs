//! Graceful shutdown: one token that every part of a service watches.
//!
//! On SIGTERM (what Docker sends) or Ctrl-C the token is cancelled. Servers
//! then stop accepting, finish what is in flight and return; the worker
//! commits and acknowledges its batch first.

pub use tokio_util::sync::CancellationToken;

/// Cancels `token` when the process is asked to stop.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        wait_for_signal().await;
        token.cancel();
        tracing::info!("shutdown requested");
    });
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch SIGTERM; only Ctrl-C stops the service");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

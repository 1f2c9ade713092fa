//! Serving one accepted connection: its TLS handshake (in its own task, so a slow client never
//! holds up the accept loop), then HTTP/1.1 through hyper until it ends, is evicted, or the
//! server stops.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use super::MAX_HEAD_BYTES;
use super::io::{ConnectionIo, Timeouts};
use super::registry::Admission;
use super::service::ConnectionService;

/// Everything a connection task needs besides its socket.
pub(super) struct Connection {
    pub(super) peer: SocketAddr,
    pub(super) admission: Admission,
    pub(super) router: Router,
    pub(super) timeouts: Timeouts,
    pub(super) stop: watch::Receiver<bool>,
}

impl Connection {
    /// Serves `tcp`, after a TLS handshake if `tls` is given. The handshake counts against the
    /// header timeout, from admission: a new connection must have handed over its first request
    /// head by then (docs/server.md, "Connections").
    pub(super) async fn serve(mut self, tcp: TcpStream, tls: Option<TlsAcceptor>) {
        let Some(acceptor) = tls else {
            return self.serve_http(tcp).await;
        };
        let deadline = self.admission.admitted.checked_add(self.timeouts.header).unwrap_or_else(far_future);
        let handshake = tokio::select! {
            result = tokio::time::timeout_at(deadline, acceptor.accept(tcp)) => result,
            () = self.admission.evicted.notified() => return,
            _ = self.stop.wait_for(|stop| *stop) => return,
        };
        match handshake {
            Ok(Ok(tls)) => self.serve_http(tls).await,
            Ok(Err(err)) => tracing::debug!(client = %self.peer.ip(), error = %err, "TLS handshake failed"),
            Err(_) => tracing::debug!(client = %self.peer.ip(), "TLS handshake timed out"),
        }
    }

    async fn serve_http<T>(mut self, io: T)
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let activity = &self.admission.activity;
        let io = ConnectionIo::new(io, Arc::clone(activity), self.timeouts);
        let service = ConnectionService::new(self.router.clone(), self.peer, Arc::clone(activity));
        let connection = http1_builder().serve_connection(TokioIo::new(io), service);
        tokio::pin!(connection);
        let mut stopping = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!(client = %self.peer.ip(), error = %err, "connection ended");
                    }
                    return;
                }
                () = self.admission.evicted.notified() => return,
                _ = self.stop.wait_for(|stop| *stop), if !stopping => {
                    stopping = true;
                    // Between requests (including a head that never finished arriving) the
                    // connection closes at once: only requests already handed to the app are
                    // drained (docs/server.md, "Running it").
                    if activity.close_if_between_requests() {
                        return;
                    }
                    // hyper finishes the request in flight, then closes instead of keeping alive.
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// hyper's HTTP/1.1 settings. Its own header timeout is off: [`ConnectionIo`] enforces a finer one
/// (from a head's first byte, answered 408; see `io.rs`), so hyper needs no timer.
fn http1_builder() -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder.header_read_timeout(None).max_header_size(MAX_HEAD_BYTES).keep_alive(true);
    builder
}

/// A deadline that never comes, for a timeout too large to add to now.
fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(60 * 60 * 24 * 365 * 30)
}

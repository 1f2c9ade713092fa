//! Running the API on a socket: plain TCP or TLS (rustls with the `ring` provider), graceful
//! shutdown on SIGTERM or Ctrl-C, and the periodic purge of expired challenges and sessions.
//!
//! Both transports go through `axum::serve`, which already knows how to stop accepting, let
//! in-flight requests finish, and close idle keep-alive connections. TLS plugs in as an
//! [`axum::serve::Listener`] whose handshakes run in their own tasks, so one slow or hostile
//! client cannot stall the accept loop.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::serve::{Listener, ListenerExt};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::clock::Clock;
use crate::store::Store;

/// A TLS handshake that takes longer than this is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most TLS handshakes in progress at once; further connections wait in the kernel's backlog.
const MAX_CONCURRENT_HANDSHAKES: usize = 256;

/// Why the TLS configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file is unreadable or not PEM.
    #[error("cannot read the TLS certificate chain {path}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// The certificate file holds no certificate.
    #[error("no certificate in {path}")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The key file is unreadable or holds no private key.
    #[error("cannot read the TLS private key {path}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// rustls refused the certificate or key (for example, they do not match).
    #[error("invalid TLS certificate or key")]
    Rustls(#[from] rustls::Error),
}

/// A rustls server configuration from a PEM certificate chain (leaf first) and a PEM private
/// key (PKCS#8, PKCS#1 or SEC1), using the `ring` provider and safe default protocol versions.
pub fn load_tls_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let certificate_error = |source| TlsError::Certificate { path: cert.to_owned(), source };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(certificate_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(certificate_error)?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { path: cert.to_owned() });
    }
    let key_der =
        PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::Key { path: key.to_owned(), source })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)?;
    // axum is built with HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `app` on `listener` until `shutdown` completes, then lets in-flight requests finish.
///
/// With `tls`, every connection is a TLS connection. The client address reaches handlers as
/// `ConnectInfo<SocketAddr>` either way.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        None => {
            let listener = listener.tap_io(|tcp: &mut TcpStream| set_nodelay(tcp));
            axum::serve(listener, service).with_graceful_shutdown(shutdown).await
        }
        Some(config) => {
            let listener = TlsListener::new(listener, TlsAcceptor::from(config))?
                .tap_io(|tls: &mut TlsStream<TcpStream>| set_nodelay(tls.get_ref().0));
            axum::serve(listener, service).with_graceful_shutdown(shutdown).await
        }
    }
}

/// Answers are small and written at once; Nagle's algorithm would only add latency.
fn set_nodelay(tcp: &TcpStream) {
    if let Err(err) = tcp.set_nodelay(true) {
        tracing::debug!(error = %err, "cannot set TCP_NODELAY");
    }
}

/// Completes when the process receives SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Deletes expired challenges and idle sessions now and then every `every`, until aborted.
/// (Expired ones are refused anyway; this only keeps the tables small.)
pub fn spawn_purge_task(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    session_idle: Duration,
    every: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(err) = store.purge_expired(clock.now(), session_idle).await {
                tracing::warn!(error = %err, "purging expired sessions and challenges failed");
            }
        }
    })
}

/// A listener of TLS connections whose handshakes are done off the accept path.
struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
    accept_task: JoinHandle<()>,
}

impl TlsListener {
    fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> io::Result<Self> {
        let local_addr = tcp.local_addr()?;
        let (ready_tx, ready) = mpsc::channel(64);
        let accept_task = tokio::spawn(accept_tls(tcp, acceptor, ready_tx));
        Ok(Self { ready, local_addr, accept_task })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        // Closes the socket: axum drops the listener when it stops accepting.
        self.accept_task.abort();
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept task ended (it only does when aborted): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

/// Accepts TCP connections and hands each to its own handshake task; finished handshakes are
/// sent to the listener.
async fn accept_tls(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let handshakes = Arc::new(Semaphore::new(MAX_CONCURRENT_HANDSHAKES));
    loop {
        let Ok(permit) = Arc::clone(&handshakes).acquire_owned().await else {
            return;
        };
        let (stream, peer) = match tcp.accept().await {
            Ok(connection) => connection,
            Err(err) => {
                // As axum does for plain TCP: a per-connection error is the client's problem;
                // anything else (say, out of file descriptors) deserves a pause.
                if !is_connection_error(&err) {
                    tracing::error!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
            drop(permit);
            match handshake {
                Ok(Ok(tls)) => {
                    // Fails only when the server is shutting down; the connection just closes.
                    let _ = ready.send((tls, peer)).await;
                }
                Ok(Err(err)) => tracing::debug!(client = %peer.ip(), error = %err, "TLS handshake failed"),
                Err(_) => tracing::debug!(client = %peer.ip(), "TLS handshake timed out"),
            }
        });
    }
}

fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

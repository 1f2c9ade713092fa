//! Running the API on a socket: plain TCP or TLS (rustls with the `ring` provider), with
//! connection limits and timeouts, graceful shutdown on SIGTERM or Ctrl-C, and the periodic purge
//! of expired challenges and sessions.
//!
//! `axum::serve` has no knobs for what a connection may do before it hands over a request, and
//! that is where a server is cheapest to exhaust: a connection that sends half a header, or
//! nothing, was never closed, about 1,100 of them exhausted a server limited to 1,024 file
//! descriptors, and one of them held a SIGTERM for the whole grace period. So the accept loop is
//! written here, on hyper's HTTP/1.1 connection builder (docs/server.md, "Connections"):
//! - `registry.rs`: at most `max_connections` at once; at the cap, the connection that has waited
//!   longest for a request is closed for the new one; with every connection busy, new ones wait in
//!   the kernel's backlog.
//! - `activity.rs`: what each connection is doing (waiting for a head, busy, idle), shared by:
//! - `io.rs`: the header, idle and write-stall timeouts, and the API's JSON in place of hyper's
//!   empty automatic answers to malformed heads;
//! - `service.rs`: the router, with `ConnectInfo<SocketAddr>` for the handlers;
//! - `connection.rs`: one connection's task (its TLS handshake runs there, off the accept loop);
//! - `tls.rs`: loading the certificate and key.
//!
//! At shutdown the loop stops accepting, connections between requests (idle, or with a head that
//! never finished arriving) close at once, and requests already handed to the app are drained.

mod activity;
mod connection;
mod io;
mod registry;
mod service;
mod tls;

use std::future::Future;
use std::io as stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use self::connection::Connection;
use self::io::Timeouts;
use self::registry::Registry;
pub use self::tls::{TlsError, load_tls_config};
use crate::clock::Clock;
use crate::config::ConnectionLimits;
use crate::store::Store;

/// Longest request head (request line and headers) accepted; longer is answered 431. The API's
/// heads are a few hundred bytes; the slack is for proxies that add headers.
pub const MAX_HEAD_BYTES: usize = 32 * 1024;

/// Serves `app` on `listener` until `shutdown` completes, then lets in-flight requests finish.
///
/// With `tls`, every connection is a TLS connection. The client address reaches handlers as
/// `ConnectInfo<SocketAddr>` either way. `limits` bounds the connections and how long they may
/// stall (docs/server.md, "Connections"). Returns once the last connection has closed; the caller
/// bounds that wait (src/main.rs allows the request timeout plus 5 s).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<ServerConfig>>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> stdio::Result<()> {
    let tls = tls.map(TlsAcceptor::from);
    let timeouts = Timeouts { header: limits.header_timeout, idle: limits.idle_timeout };
    let registry = Registry::new(limits.max_connections);
    let (stop_tx, stop) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(err) if is_connection_error(&err) => continue,
                Err(err) => {
                    // As axum does: anything but a per-connection error (say, out of file
                    // descriptors) deserves a pause rather than a busy loop.
                    tracing::error!(error = %err, "accept failed");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        // At the cap with every connection busy, this one waits here, unserved, and no other is
        // accepted meanwhile: the rest wait in the kernel's backlog (src/serve/registry.rs).
        let admission = loop {
            if let Some(admission) = registry.try_admit(Instant::now()) {
                break Some(admission);
            }
            tokio::select! {
                () = registry.wait_for_room() => {}
                () = &mut shutdown => break None,
            }
        };
        let Some(admission) = admission else { break };
        set_nodelay(&tcp);
        let connection = Connection { peer, admission, router: app.clone(), timeouts, stop: stop.clone() };
        tokio::spawn(connection.serve(tcp, tls.clone()));
    }
    // Close the listening socket first: clients then get "connection refused" rather than wait.
    drop(listener);
    // Fails only if no connection task holds a receiver, when there is nothing to tell.
    let _ = stop_tx.send(true);
    registry.wait_until_empty().await;
    Ok(())
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

fn is_connection_error(err: &stdio::Error) -> bool {
    matches!(
        err.kind(),
        stdio::ErrorKind::ConnectionRefused
            | stdio::ErrorKind::ConnectionAborted
            | stdio::ErrorKind::ConnectionReset
    )
}

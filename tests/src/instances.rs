//! Several `hush-server` instances on one PostgreSQL database, behind a small load balancer:
//! what issue #11's deployment looks like, on loopback.
//!
//! - [`crate::Server::instance`]: a real `hush-server serve` process on a PostgreSQL database that
//!   other instances share (the URL reaches it through `HUSH_SERVER_DATABASE_URL`, as
//!   docs/server.md recommends, never argv).
//! - [`Balancer`]: a round-robin TCP proxy, standing in for nginx or Caddy (not installed here).
//!   Each client connection goes to the next instance; an instance that refuses the connection
//!   (killed, restarting) is skipped, as a proxy with passive health checks does. A connection cut
//!   by a killed instance is cut for the client too: its request fails, as it would behind nginx.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// A round-robin TCP proxy on a loopback port (see the module comment).
pub struct Balancer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Balancer {
    /// Starts proxying to `backends`.
    pub fn start(backends: Vec<SocketAddr>) -> Balancer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the balancer");
        let addr = listener.local_addr().expect("address");
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::spawn(move || {
            let next = AtomicUsize::new(0);
            for client in listener.incoming() {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                let first = next.fetch_add(1, Ordering::Relaxed);
                let backends = backends.clone();
                std::thread::spawn(move || {
                    // The next instance that takes the connection, in turn.
                    let upstream = (0..backends.len()).find_map(|i| {
                        let backend = backends[(first + i) % backends.len()];
                        TcpStream::connect_timeout(&backend, Duration::from_secs(2)).ok()
                    });
                    match upstream {
                        Some(upstream) => pipe(client, upstream),
                        None => {
                            let _ = client.shutdown(Shutdown::Both);
                        }
                    }
                });
            }
        });
        Balancer { addr, stop }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Copies bytes both ways until either side closes, then closes both.
fn pipe(client: TcpStream, upstream: TcpStream) {
    let (Ok(client_read), Ok(upstream_read)) = (client.try_clone(), upstream.try_clone()) else { return };
    let up = std::thread::spawn(move || copy_then_close(client_read, upstream));
    copy_then_close(upstream_read, client);
    let _ = up.join();
}

fn copy_then_close(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
}

//! Several `hush-server` instances on one PostgreSQL database, behind a small load balancer:
//! what issue #11's deployment looks like, on loopback.
//!
//! - [`PgServer`]: a real `hush-server serve` process whose store is a PostgreSQL database (the
//!   URL reaches it through `HUSH_SERVER_DATABASE_URL`, as docs/server.md recommends, never argv).
//! - [`Balancer`]: a round-robin TCP proxy, standing in for nginx or Caddy (not installed here).
//!   Each client connection goes to the next instance; an instance that refuses the connection
//!   (killed, restarting) is skipped, as a proxy with passive health checks does. A connection cut
//!   by a killed instance is cut for the client too: its request fails, as it would behind nginx.

use std::io::BufRead as _;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::{assert_ok, bin};

/// A `hush-server serve` process on PostgreSQL, on a loopback port.
pub struct PgServer {
    child: Option<Child>,
    database_url: String,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    port: u16,
}

impl PgServer {
    /// Starts an instance on `database_url`, on a free port.
    pub fn start(database_url: &str) -> PgServer {
        Self::start_on(database_url, 0)
    }

    /// Starts an instance on `database_url` and `port` (0: a free one), retrying while the
    /// port is still held by an instance that was just killed.
    pub fn start_on(database_url: &str, port: u16) -> PgServer {
        let mut server =
            PgServer { child: None, database_url: database_url.to_owned(), url: String::new(), port };
        server.restart();
        server
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn spawn(&self, port: u16) -> Option<(Child, u16)> {
        let mut child = Command::new(bin("hush-server"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("HUSH_SERVER_DATABASE_URL", &self.database_url)
            .env("HUSH_SERVER_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start hush-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        };
        let port = addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
        Some((child, port))
    }

    /// SIGKILL: the instance dies at once, whatever it was doing.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again) on its port.
    pub fn restart(&mut self) {
        self.kill();
        for _ in 0..50 {
            if let Some((child, port)) = self.spawn(self.port) {
                self.port = port;
                self.url = format!("http://127.0.0.1:{port}");
                self.child = Some(child);
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("could not start hush-server on port {}", self.port);
    }

    /// `hush-server invite` on the same database.
    pub fn invite(&self) -> String {
        invite(&self.database_url)
    }
}

/// A fresh single-use invite code in the database at `database_url`.
pub fn invite(database_url: &str) -> String {
    let out = Command::new(bin("hush-server"))
        .arg("invite")
        .env("HUSH_SERVER_DATABASE_URL", database_url)
        .output()
        .expect("run hush-server invite");
    assert_ok(&out, &["hush-server invite"]);
    String::from_utf8(out.stdout).expect("UTF-8").trim().to_owned()
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.kill();
    }
}

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

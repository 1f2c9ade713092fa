//! The real `hush-server` binary: port 0 and the "listening on" line, data-folder permissions,
//! `invite` against a running server, TLS, a clean exit on SIGTERM, and the connection flags.
//!
//! The TLS fixtures in `tests/fixtures/` are a throwaway test CA and a `localhost`/127.0.0.1
//! certificate (P-256, valid for 100 years) made with:
//! ```text
//! openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
//! openssl req -x509 -new -key ca.key -days 36500 -subj "/CN=hush-server test CA" \
//!   -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
//! openssl genpkey ... -out test-server-key.pem; openssl req -new ...; openssl x509 -req ... \
//!   -extfile (CA:FALSE, digitalSignature, serverAuth, SAN DNS:localhost IP:127.0.0.1)
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hush-server");

struct Server {
    child: Child,
    address: SocketAddr,
    _stdout: BufReader<ChildStdout>,
    /// The server's log lines, when started with [`Server::start_with_logs`].
    logs: Option<Receiver<String>>,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        Self::spawn(args, false)
    }

    /// Like [`Server::start`], with logs captured so a test can wait for the server to say what
    /// it is doing instead of guessing with sleeps. Info level, plus tower-http's debug event
    /// "started processing request", which marks a request as handed to the app.
    fn start_with_logs(args: &[&str]) -> Self {
        Self::spawn(args, true)
    }

    fn spawn(args: &[&str], capture_logs: bool) -> Self {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("HUSH_SERVER_LOG", if capture_logs { "info,sqlx=warn,tower_http=debug" } else { "warn" })
            .stdout(Stdio::piped())
            .stderr(if capture_logs { Stdio::piped() } else { Stdio::inherit() })
            .spawn()
            .expect("the binary starts");
        // Logs go to stderr (src/main.rs). A thread keeps the pipe drained, so the server never
        // blocks on a full pipe, and echoes each line for a failing test's output.
        let logs = child.stderr.take().map(|stderr| {
            let (lines_tx, lines) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    eprintln!("hush-server: {line}");
                    let _ = lines_tx.send(line);
                }
            });
            lines
        });
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("a first line");
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("an address");
        Self { child, address, _stdout: stdout, logs }
    }

    /// Waits up to 15 s for a log line containing `needle`; whether one came.
    fn wait_for_log(&self, needle: &str) -> bool {
        let logs = self.logs.as_ref().expect("started with start_with_logs");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match logs.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if line.contains(needle) => return true,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// Waits up to 15 s until the listening socket refuses connections, which happens once the
    /// server has stopped accepting (axum drops its listener when graceful shutdown begins);
    /// whether it did.
    fn wait_until_not_accepting(&self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            match TcpStream::connect(self.address) {
                // Still accepting; the probe connection is idle and closes when dropped.
                Ok(probe) => drop(probe),
                // Refused once the listener is gone; reset when it closes with this
                // probe still in its backlog. Either way it no longer accepts.
                Err(err)
                    if matches!(
                        err.kind(),
                        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
                    ) =>
                {
                    return true;
                }
                Err(err) => panic!("unexpected connect error: {err}"),
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    fn send_sigterm(&self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(status.success());
    }

    /// Waits up to 15 s for the process to end; whether it exited successfully.
    fn exited_cleanly(mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Sends SIGTERM; whether the process then exited successfully in time.
    fn terminate(self) -> bool {
        self.send_sigterm();
        self.exited_cleanly()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange over `stream`; returns (status, body).
fn exchange(mut stream: impl Read + Write, method: &str, path: &str, json: Option<&str>) -> (u16, String) {
    let body = json.unwrap_or("");
    let content_type = if json.is_some() { "Content-Type: application/json\r\n" } else { "" };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{content_type}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // A server that hangs up mid-request (plain HTTP sent to a TLS port) is "no answer".
    if stream.write_all(request.as_bytes()).and_then(|()| stream.flush()).is_err() {
        return (0, String::new());
    }
    let mut response = String::new();
    // A TLS peer closing without close_notify is an error for rustls; what was read still counts.
    let _ = stream.read_to_string(&mut response);
    let status = response.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

fn http(address: SocketAddr, method: &str, path: &str, json: Option<&str>) -> (u16, String) {
    exchange(TcpStream::connect(address).expect("connects"), method, path, json)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("exists").permissions().mode() & 0o777
}

fn register_body(seed: u8, code: &str) -> String {
    let id = format!("{seed:02x}").repeat(16);
    let id = format!("{}-{}-{}-{}-{}", &id[..8], &id[8..12], &id[12..16], &id[16..20], &id[20..]);
    let public = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]).verifying_key().to_bytes();
    serde_json::json!({
        "account_id": id,
        "kdf": {"m_kib": 65536, "t": 3, "p": 1, "salt": hush_proto::B64(vec![seed; 16])},
        "auth_public_key": hush_proto::B64(public.to_vec()),
        // Format 1, key version 1, then a nonce and a sealed key's worth of filler.
        "keyset": hush_proto::B64([&[1, 1, 0, 0, 0][..], &[7; 72]].concat()),
        "registration_code": code,
    })
    .to_string()
}

#[test]
fn serves_on_port_0_invites_and_stops_on_sigterm() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path().join("nested").join("data");
    let data_arg = data.to_str().expect("utf-8 path");
    let server = Server::start(&["--data-dir", data_arg]);
    assert_ne!(server.address.port(), 0);

    assert_eq!(http(server.address, "GET", "/healthz", None), (200, "ok".to_owned()));
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("hush-server.db")), 0o600);
    assert_eq!(mode(&data.join("hush-server.db-wal")), 0o600);

    // `invite` works against the live database; the code is single-use.
    let output = Command::new(BIN).args(["invite", "--data-dir", data_arg]).output().expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let code = String::from_utf8(output.stdout).expect("utf-8");
    let code = code.trim();
    assert_eq!(code.len(), 22, "{code:?}");
    let (status, body) = http(server.address, "POST", "/v2/accounts", Some(&register_body(1, code)));
    assert_eq!(status, 201, "{body}");
    let (status, body) = http(server.address, "POST", "/v2/accounts", Some(&register_body(2, code)));
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("registration_closed"), "{body}");

    assert!(server.terminate(), "clean exit on SIGTERM");
}

#[test]
fn sigterm_lets_an_in_flight_request_finish() {
    let temp = tempfile::tempdir().expect("temp dir");
    let server = Server::start_with_logs(&["--data-dir", temp.path().to_str().expect("utf-8")]);
    let body = r#"{"account_id": "01010101-0101-0101-0101-010101010101"}"#;
    let (head, tail) = body.split_at(10);
    let mut stream = TcpStream::connect(server.address).expect("connects");
    write!(
        stream,
        "POST /v2/sessions/challenge HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{head}",
        body.len()
    )
    .expect("first half written");
    stream.flush().expect("flushed");
    // The request must be in flight before the signal: a connection still in the kernel's
    // backlog when the server stops accepting is reset, not drained. The trace layer
    // (src/lib.rs) logs this once the head is parsed and the app is waiting for the body.
    assert!(server.wait_for_log("started processing request"), "the request reaches the app");
    server.send_sigterm();
    // No sleeps: wait until the server says shutdown began, and then until it has actually
    // stopped accepting (the log line comes just before the stop is signalled, src/main.rs).
    // Only then is the rest of the body sent, so the answer below is a drained request, not
    // one that finished before the shutdown started.
    assert!(server.wait_for_log("shutting down"), "the server logs the start of its shutdown");
    assert!(server.wait_until_not_accepting(), "the server stops accepting new connections");

    // The request is still answered in full after the signal...
    stream.write_all(tail.as_bytes()).expect("second half written");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    assert!(response.contains(r#""error":"not_found""#), "{response}");
    // ...and then the server exits cleanly, accepting nothing new.
    assert!(server.exited_cleanly());
}

/// A connection that sent half a request head is not a request in flight: SIGTERM does not wait
/// for it. Its timeouts are set to ten minutes here, and so is the grace period (request timeout
/// plus 5 s, src/main.rs), so only closing it at once lets the server exit in time.
#[test]
fn sigterm_does_not_wait_for_a_half_sent_request() {
    let temp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&[
        "--data-dir",
        temp.path().to_str().expect("utf-8"),
        "--header-timeout-secs",
        "600",
        "--idle-timeout-secs",
        "600",
        "--request-timeout-secs",
        "600",
    ]);
    let mut half = TcpStream::connect(server.address).expect("connects");
    half.write_all(b"POST /v2/sessions/challenge HTTP/1.1\r\nHost: loc").expect("half a head");
    // Accepted after `half` and served in turn: once this is answered, the server has read
    // `half`'s bytes and waits for the rest.
    assert_eq!(http(server.address, "GET", "/healthz", None), (200, "ok".to_owned()));
    assert!(server.terminate(), "clean exit on SIGTERM, in time");
}

/// With `--max-connections` reached by connections that stall (and a minute of header timeout),
/// the server still answers: each new connection closes the one that has waited longest.
#[test]
fn healthz_answers_with_every_connection_slot_stalled() {
    let temp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&[
        "--data-dir",
        temp.path().to_str().expect("utf-8"),
        "--max-connections",
        "2",
        "--header-timeout-secs",
        "60",
    ]);
    let stalled: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut stream = TcpStream::connect(server.address).expect("connects");
            stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: loc").expect("half a head");
            stream
        })
        .collect();
    for _ in 0..3 {
        assert_eq!(http(server.address, "GET", "/healthz", None), (200, "ok".to_owned()));
    }
    drop(stalled);
    assert!(server.terminate());
}

#[test]
fn a_stalled_request_times_out_with_408() {
    let temp = tempfile::tempdir().expect("temp dir");
    let server =
        Server::start(&["--data-dir", temp.path().to_str().expect("utf-8"), "--request-timeout-secs", "1"]);
    let mut stream = TcpStream::connect(server.address).expect("connects");
    // Promise a body and never send it.
    stream
        .write_all(
            b"POST /v2/accounts HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        )
        .expect("written");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout set");
    let started = Instant::now();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 408"), "{response:?}");
    // With the error body every answer of the API has (docs/spec/sync-api-v2.md).
    assert!(response.contains(r#"{"error":"timeout","message":"#), "{response:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(server.terminate());
}

#[test]
fn env_vars_configure_the_server() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("HUSH_SERVER_LISTEN", "127.0.0.1:0")
        .env("HUSH_SERVER_DATA_DIR", temp.path())
        .env("HUSH_SERVER_OPEN_REGISTRATION", "true")
        .env("HUSH_SERVER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line).expect("line");
    let address: SocketAddr =
        line.trim().strip_prefix("listening on ").expect("prefix").parse().expect("address");
    let (status, body) = http(address, "POST", "/v2/accounts", Some(&register_body(3, "")));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 201, "open registration from the environment: {body}");
}

#[test]
fn serves_tls() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let temp = tempfile::tempdir().expect("temp dir");
    let cert = fixtures.join("test-server-cert.pem");
    let key = fixtures.join("test-server-key.pem");
    let server = Server::start(&[
        "--data-dir",
        temp.path().to_str().expect("utf-8"),
        "--tls-cert",
        cert.to_str().expect("utf-8"),
        "--tls-key",
        key.to_str().expect("utf-8"),
    ]);

    let mut roots = rustls::RootCertStore::empty();
    let ca = std::fs::read(fixtures.join("test-ca.pem")).expect("CA fixture");
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&ca) {
        roots.add(cert.expect("PEM")).expect("CA accepted");
    }
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocols")
            .with_root_certificates(roots)
            .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let connection = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
    let tcp = TcpStream::connect(server.address).expect("connects");
    let tls = rustls::StreamOwned::new(connection, tcp);
    assert_eq!(exchange(tls, "GET", "/healthz", None), (200, "ok".to_owned()));

    // Plain HTTP on the TLS port gets nowhere.
    let (status, _) = http(server.address, "GET", "/healthz", None);
    assert_eq!(status, 0);
    assert!(server.terminate());
}

#[test]
fn refuses_a_missing_certificate() {
    let temp = tempfile::tempdir().expect("temp dir");
    let missing = temp.path().join("missing.pem");
    let output = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(temp.path())
        .arg("--tls-cert")
        .arg(&missing)
        .arg("--tls-key")
        .arg(&missing)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TLS certificate"), "{stderr}");
}

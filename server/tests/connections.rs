//! `hush_server::serve::serve` on real loopback sockets: the connection timeouts, the connection
//! cap, shutdown with stalled connections, and the API's JSON in answers the HTTP layer gives
//! before any route is reached (docs/server.md, "Connections" and "Error answers").
//!
//! Timeouts are configured at 1 to 2 s and every wait allows [`PATIENCE`], so a loaded machine
//! only slows these tests down. Waits are for events (an answer, the server closing a connection,
//! `serve` returning); the only sleeps are a client trickling bytes on purpose.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::routing::get;
use hush_proto::{ErrorBody, ErrorCode};
use hush_server::{AppState, Config, ConnectionLimits, SqliteStore, Store, app};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// How long any one expected event may take.
const PATIENCE: Duration = Duration::from_secs(10);

const HEALTHZ: &str = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";

struct Server {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    served: JoinHandle<io::Result<()>>,
    _data: Option<tempfile::TempDir>,
}

impl Server {
    /// The real API over a temporary store.
    async fn start(limits: ConnectionLimits) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(data.path()).await.expect("store opens"));
        let config = Config { open_registration: true, ..Config::default() };
        let mut server = Self::start_router(app(AppState::new(store, config)), limits, None).await;
        server._data = Some(data);
        server
    }

    async fn start_router(
        router: Router,
        limits: ConnectionLimits,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let address = listener.local_addr().expect("address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let served = tokio::spawn(hush_server::serve::serve(listener, router, tls, limits, async move {
            let _ = stop.await;
        }));
        Self { address, shutdown: Some(shutdown), served, _data: None }
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.address).await.expect("connects")
    }

    /// Starts the graceful shutdown; whether `serve` then returned in time.
    async fn stop(mut self) -> bool {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        matches!(tokio::time::timeout(PATIENCE, &mut self.served).await, Ok(Ok(Ok(()))))
    }
}

fn limits(header_secs: u64, idle_secs: u64, max_connections: usize) -> ConnectionLimits {
    ConnectionLimits {
        max_connections,
        header_timeout: Duration::from_secs(header_secs),
        idle_timeout: Duration::from_secs(idle_secs),
    }
}

/// An HTTP answer as read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    /// Asserts the API's error format with this status and code.
    #[track_caller]
    fn assert_error(&self, status: u16, code: ErrorCode) {
        assert_eq!(self.status, status, "{self:?}");
        assert!(
            self.head.to_ascii_lowercase().contains("\r\ncontent-type: application/json\r\n"),
            "{self:?}"
        );
        let body: ErrorBody =
            serde_json::from_slice(&self.body).unwrap_or_else(|err| panic!("{err}: {self:?}"));
        assert_eq!(body.error, code, "{self:?}");
        assert!(!body.message.is_empty());
    }
}

/// Reads exactly one answer (head, then `content-length` bytes of body) from `stream`, leaving
/// whatever follows (a pipelined answer) unread.
async fn read_answer(stream: &mut (impl AsyncRead + Unpin)) -> Answer {
    tokio::time::timeout(PATIENCE, async {
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            let n = stream.read(&mut byte).await.expect("reads");
            assert!(n > 0, "closed before a whole answer: {:?}", String::from_utf8_lossy(&head));
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let length = head
            .lines()
            .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
            .map_or(0, |n| n.trim().parse().expect("a length"));
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await.expect("the body");
        let status = head.get(9..12).and_then(|s| s.parse().ok()).expect("a status");
        Answer { status, head, body }
    })
    .await
    .expect("an answer in time")
}

/// Reads until the server closes the connection (an end of stream, or a reset); what arrived,
/// or `None` if it was still open after [`PATIENCE`].
async fn read_until_closed(stream: &mut (impl AsyncRead + Unpin)) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => data.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    read.is_ok().then_some(data)
}

/// Sends `request` and reads its answer.
async fn exchange(stream: &mut (impl AsyncRead + AsyncWrite + Unpin), request: &str) -> Answer {
    stream.write_all(request.as_bytes()).await.expect("request sent");
    read_answer(stream).await
}

/// A connection known to be served, whose next request head has only half arrived, and which
/// sends nothing more. The half head goes out in one write with a whole request, so once that
/// request is answered the server has read the half head too (it sits in hyper's buffer).
async fn stalled_connection(server: &Server) -> TcpStream {
    let mut stream = server.connect().await;
    let requests = format!("{HEALTHZ}GET /healthz HTTP/1.1\r\nHost: loc");
    assert_eq!(exchange(&mut stream, &requests).await.status, 200);
    stream
}

// ---- Timeouts -------------------------------------------------------------------------------

#[tokio::test]
async fn half_a_head_is_answered_408_and_closed_within_the_header_timeout() {
    let server = Server::start(limits(1, 60, 64)).await;
    let mut stream = server.connect().await;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n").await.expect("sent");
    let closed = read_until_closed(&mut stream).await.expect("closed in time");
    let answer = read_answer(&mut closed.as_slice()).await;
    answer.assert_error(408, ErrorCode::Timeout);
    assert!(server.stop().await);
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_within_the_header_timeout() {
    let server = Server::start(limits(1, 60, 64)).await;
    let mut stream = server.connect().await;
    let closed = read_until_closed(&mut stream).await.expect("closed in time");
    assert!(closed.is_empty(), "nothing to answer: {closed:?}");
    assert!(server.stop().await);
}

/// The header timeout runs from the head's first byte: a client trickling a byte at a time does
/// not get to extend it (the slowloris attack).
#[tokio::test]
async fn a_head_trickling_in_is_still_cut_off_at_the_header_timeout() {
    let server = Server::start(limits(2, 60, 64)).await;
    let stream = server.connect().await;
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        let head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        for byte in head {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let closed = read_until_closed(&mut reader).await.expect("closed while bytes still arrive");
    read_answer(&mut closed.as_slice()).await.assert_error(408, ErrorCode::Timeout);
    trickle.abort();
    assert!(server.stop().await);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let server = Server::start(limits(60, 1, 64)).await;
    let mut stream = server.connect().await;
    // Keep-alive works: several requests on one connection (sent at once, so that a slow client
    // cannot be mistaken for an idle one)...
    stream.write_all(HEALTHZ.repeat(3).as_bytes()).await.expect("sent");
    for _ in 0..3 {
        let answer = read_answer(&mut stream).await;
        assert_eq!((answer.status, answer.body.as_slice()), (200, &b"ok"[..]));
    }
    // ...and once idle, the server closes it, without a word.
    let closed = read_until_closed(&mut stream).await.expect("closed in time");
    assert!(closed.is_empty(), "{closed:?}");
    assert!(server.stop().await);
}

/// A body that never ends, so the connection stays busy for as long as the client reads; it says
/// when hyper drops it, which happens when the connection is torn down.
struct Endless(Arc<Notify>);

impl http_body::Body for Endless {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(&[b'x'; 65536])))))
    }
}

impl Drop for Endless {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

/// A client that stops reading its answer would hold the connection, and the answer's memory,
/// forever: the server gives up once its writes have made no progress for the idle timeout, even
/// with the request still in flight.
#[tokio::test]
async fn a_client_that_stops_reading_its_answer_is_disconnected() {
    let dropped = Arc::new(Notify::new());
    let answer = Arc::clone(&dropped);
    let router = Router::new().route("/endless", get(move || async move { Body::new(Endless(answer)) }));
    let server = Server::start_router(router, limits(60, 1, 64), None).await;
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("small receive buffer");
    let mut stream = socket.connect(server.address).await.expect("connects");
    stream.write_all(b"GET /endless HTTP/1.1\r\nHost: localhost\r\n\r\n").await.expect("sent");
    // Not reading: the server's writes stall until it gives up and drops the answer...
    tokio::time::timeout(PATIENCE, dropped.notified()).await.expect("the server gave up on the client");
    // ...and the connection: reading now finds its end.
    let rest = read_until_closed(&mut stream).await.expect("closed");
    assert!(rest.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(server.stop().await);
}

// ---- The connection cap -------------------------------------------------------------------------

/// With the cap reached by stalled connections (and more trying), new clients are still served
/// *while* the stalled ones stall (the header timeout here is a minute): each new connection
/// closes one that has waited for a request, never one with a request in flight. (Which one, the
/// longest-waiting, is pinned by the registry's unit tests; here the order in which the server
/// reads the stalled heads is up to the scheduler.)
#[tokio::test]
async fn stalled_connections_at_the_cap_do_not_keep_healthz_from_answering() {
    let cap = 3;
    let server = Server::start(limits(60, 60, cap)).await;
    let mut stalled = Vec::new();
    for _ in 0..=cap {
        stalled.push(stalled_connection(&server).await);
    }
    let mut fresh = server.connect().await;
    assert_eq!(exchange(&mut fresh, HEALTHZ).await.status, 200);
    // Two of the four made room (for the fourth, and for `fresh`); the other two still work.
    let mut served = 0;
    for stream in &mut stalled {
        // A closed connection may refuse the write or the read; either way it was evicted.
        if stream.write_all(b"alhost\r\n\r\n").await.is_ok()
            && let Ok(Ok(n)) = tokio::time::timeout(PATIENCE, stream.peek(&mut [0u8; 1])).await
            && n > 0
        {
            assert_eq!(read_answer(stream).await.status, 200);
            served += 1;
        }
    }
    assert_eq!(served, cap - 1, "one for each connection admitted beyond the cap was closed");
    assert!(server.stop().await);
}

/// A connection with a request in flight is never closed to make room: at the cap with every
/// connection busy, a new one waits in the kernel's backlog, and is served once a request ends.
#[tokio::test]
async fn busy_connections_are_never_evicted_and_new_ones_wait_for_a_slot() {
    let server = Server::start(limits(60, 60, 2)).await;
    let body = r#"{"account_id": "01010101-0101-0101-0101-010101010101"}"#;
    let (first_half, second_half) = body.split_at(10);
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut stream = server.connect().await;
        // hyper answers `100 Continue` when the app starts reading the body: from then on the
        // request is in flight, and the connection busy.
        let head = format!(
            "POST /v2/sessions/challenge HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        assert_eq!(exchange(&mut stream, &head).await.status, 100);
        stream.write_all(first_half.as_bytes()).await.expect("half a body");
        busy.push(stream);
    }
    let mut waiting = server.connect().await;
    waiting.write_all(HEALTHZ.as_bytes()).await.expect("sent");
    // Nothing answers it while both slots are busy. (This can only pass by mistake on a slow
    // machine, never fail by one.)
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_secs(1), waiting.read(&mut byte)).await;
    assert!(early.is_err(), "{early:?} {byte:?}");
    // The busy requests were not cut short...
    for stream in &mut busy {
        stream.write_all(second_half.as_bytes()).await.expect("rest of the body");
        read_answer(stream).await.assert_error(404, ErrorCode::NotFound);
    }
    // ...and the waiting client is served once a slot is free.
    assert_eq!(read_answer(&mut waiting).await.status, 200);
    assert!(server.stop().await);
}

// ---- Shutdown -----------------------------------------------------------------------------------

/// A head that never finished arriving is not a request in flight: shutdown does not wait for it
/// (it used to hold SIGTERM for the whole grace period), nor for idle keep-alive connections.
/// (hyper alone would wait for the rest of a new connection's first head: hyperium/hyper#2730.)
#[tokio::test]
async fn shutdown_is_prompt_with_a_stalled_half_request_and_an_idle_connection_open() {
    let server = Server::start(limits(600, 600, 64)).await;
    let mut half = server.connect().await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: loc").await.expect("half a head");
    // Accepted after `half` and served in turn, so once this is answered the server has read
    // `half`'s bytes and is waiting for the rest.
    let mut idle = server.connect().await;
    assert_eq!(exchange(&mut idle, HEALTHZ).await.status, 200);
    let address = server.address;
    assert!(server.stop().await, "serve returned in time");
    assert_eq!(read_until_closed(&mut half).await, Some(Vec::new()));
    assert_eq!(read_until_closed(&mut idle).await, Some(Vec::new()));
    assert!(TcpStream::connect(address).await.is_err(), "no longer listening");
}

// ---- What reaches the handlers ------------------------------------------------------------------

#[tokio::test]
async fn handlers_get_the_client_address_as_connect_info() {
    let router = Router::new()
        .route("/peer", get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }));
    let server = Server::start_router(router, limits(60, 60, 64), None).await;
    let mut stream = server.connect().await;
    let local = stream.local_addr().expect("address").to_string();
    let answer = exchange(&mut stream, "GET /peer HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert_eq!(String::from_utf8_lossy(&answer.body), local);
    assert!(server.stop().await);
}

// ---- Error answers of the HTTP layer ------------------------------------------------------------

/// Sends raw bytes on a new connection; the answer, and the connection.
async fn raw(server: &Server, request: &[u8]) -> (Answer, TcpStream) {
    let mut stream = server.connect().await;
    stream.write_all(request).await.expect("sent");
    let answer = read_answer(&mut stream).await;
    (answer, stream)
}

#[tokio::test]
async fn a_malformed_request_line_is_a_json_400() {
    let server = Server::start(limits(60, 60, 64)).await;
    let (answer, mut stream) = raw(&server, b"GARBAGE\r\n\r\n").await;
    answer.assert_error(400, ErrorCode::BadRequest);
    assert_eq!(read_until_closed(&mut stream).await, Some(Vec::new()), "and nothing more");
    let (answer, _) = raw(&server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n").await;
    answer.assert_error(400, ErrorCode::BadRequest);
    let (answer, _) = raw(&server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n").await;
    answer.assert_error(400, ErrorCode::BadRequest);
    assert!(server.stop().await);
}

#[tokio::test]
async fn too_many_or_too_large_headers_are_a_json_431() {
    let server = Server::start(limits(60, 60, 64)).await;
    let many: String = (0..101).map(|i| format!("X-Header-{i}: a\r\n")).collect();
    let (answer, mut stream) =
        raw(&server, format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many}\r\n").as_bytes()).await;
    answer.assert_error(431, ErrorCode::HeadersTooLarge);
    assert_eq!(read_until_closed(&mut stream).await, Some(Vec::new()), "and nothing more");
    let large = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Large: {}\r\n\r\n", "a".repeat(40 * 1024));
    let (answer, _) = raw(&server, large.as_bytes()).await;
    answer.assert_error(431, ErrorCode::HeadersTooLarge);
    assert!(server.stop().await);
}

/// A client still sending an oversized head when the server answers gets the answer and can
/// finish sending. (The server drains its input for a moment before closing, since closing with
/// unread input sends a reset that can destroy the answer on a real network; loopback delivers it
/// regardless, so the drain itself is pinned by `io.rs`'s unit tests.)
#[tokio::test]
async fn a_client_still_sending_an_oversized_head_gets_its_431() {
    let server = Server::start(limits(60, 60, 64)).await;
    let stream = server.connect().await;
    let (mut reader, mut writer) = stream.into_split();
    let sending = tokio::spawn(async move {
        let head = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Large: {}", "a".repeat(256 * 1024));
        let sent = writer.write_all(head.as_bytes()).await;
        (sent, writer)
    });
    let answer = read_answer(&mut reader).await;
    answer.assert_error(431, ErrorCode::HeadersTooLarge);
    let (sent, writer) = sending.await.expect("task");
    assert!(sent.is_ok(), "{sent:?}");
    drop(writer);
    assert!(server.stop().await);
}

#[tokio::test]
async fn a_uri_over_8_kib_is_a_json_414() {
    let server = Server::start(limits(60, 60, 64)).await;
    let request = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(hush_server::MAX_URI_BYTES));
    let (answer, _) = raw(&server, request.as_bytes()).await;
    answer.assert_error(414, ErrorCode::UriTooLong);
    // One byte shorter is an ordinary (unknown) route.
    let request = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(hush_server::MAX_URI_BYTES - 1));
    let (answer, _) = raw(&server, request.as_bytes()).await;
    answer.assert_error(404, ErrorCode::NotFound);
    assert!(server.stop().await);
}

/// Not everything can be answered: an HTTP/2 client (the server speaks HTTP/1.1 only, and says
/// so in TLS's ALPN) is closed on without an answer, since it could not read an HTTP/1.1 one.
#[tokio::test]
async fn an_http2_preface_is_closed_without_an_answer() {
    let server = Server::start(limits(60, 60, 64)).await;
    let mut stream = server.connect().await;
    stream.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.expect("sent");
    assert_eq!(read_until_closed(&mut stream).await, Some(Vec::new()));
    assert!(server.stop().await);
}

// ---- The same over TLS --------------------------------------------------------------------------

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

async fn tls_connect(server: &Server) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    let ca = std::fs::read(fixtures().join("test-ca.pem")).expect("CA fixture");
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
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    connector.connect(name, server.connect().await).await.expect("handshake")
}

async fn start_tls(router: Router, limits: ConnectionLimits) -> Server {
    let tls = hush_server::serve::load_tls_config(
        &fixtures().join("test-server-cert.pem"),
        &fixtures().join("test-server-key.pem"),
    )
    .expect("TLS fixtures");
    Server::start_router(router, limits, Some(tls)).await
}

/// The connection layer sits above TLS: over TLS too, handlers see the client address and hyper's
/// automatic answers are JSON...
#[tokio::test]
async fn over_tls_handlers_see_the_client_and_malformed_heads_get_json() {
    let router = Router::new().route(
        "/peer",
        get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
    );
    let server = start_tls(router, limits(60, 60, 64)).await;
    let mut stream = tls_connect(&server).await;
    let answer = exchange(&mut stream, "GET /peer HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert_eq!(String::from_utf8_lossy(&answer.body), "127.0.0.1");
    let mut stream = tls_connect(&server).await;
    exchange(&mut stream, "GARBAGE\r\n\r\n").await.assert_error(400, ErrorCode::BadRequest);
    assert!(server.stop().await);
}

/// ...and a half-sent head is answered 408 in time. (The handshake counts against the header
/// timeout too, so this one is 2 s: enough for a loaded machine to finish a loopback handshake.)
#[tokio::test]
async fn over_tls_half_a_head_is_answered_408() {
    let server = start_tls(Router::new(), limits(2, 60, 64)).await;
    let mut stream = tls_connect(&server).await;
    stream.write_all(b"GET / HTTP/1.1\r\n").await.expect("half a head");
    read_answer(&mut stream).await.assert_error(408, ErrorCode::Timeout);
    assert!(server.stop().await);
}

/// A TLS client that never finishes its handshake is closed at the header timeout...
#[tokio::test]
async fn a_stalled_tls_handshake_is_closed_at_the_header_timeout() {
    let server = start_tls(Router::new(), limits(1, 60, 64)).await;
    let mut stalled = server.connect().await;
    stalled.write_all(&[0x16, 0x03, 0x01]).await.expect("the start of a ClientHello");
    assert_eq!(read_until_closed(&mut stalled).await, Some(Vec::new()));
    assert!(server.stop().await);
}

/// ...and, handshakes running off the accept loop but counting as connections, at the cap it makes
/// room for a new client long before that.
#[tokio::test]
async fn a_stalled_tls_handshake_makes_room_at_the_cap() {
    let server = start_tls(Router::new().route("/", get(|| async { "ok" })), limits(60, 60, 1)).await;
    let mut stalled = server.connect().await;
    stalled.write_all(&[0x16, 0x03, 0x01]).await.expect("the start of a ClientHello");
    let mut stream = tls_connect(&server).await;
    assert_eq!(exchange(&mut stream, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await.status, 200);
    assert_eq!(read_until_closed(&mut stalled).await, Some(Vec::new()), "evicted");
    assert!(server.stop().await);
}

//! The HTTP transport: reqwest (blocking) over rustls with the `ring` provider and
//! the system's trust roots, plus an optional CA file from config.toml.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use hush_proto as proto;
use hush_proto::paths;
use reqwest::StatusCode;
use reqwest::{Client, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use url::Url;

use crate::{PushOutcome, SyncError, Transport, TransportError};

/// Whether `url` names this machine (`localhost`, 127.0.0.0/8, `::1`): the only
/// place plain http cannot be watched from the network.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Checks a server URL: `https://` anywhere; plain `http://` only to a loopback
/// address, or with `allow_insecure_http` (which the user must type on purpose).
pub fn check_server_url(url: &str, allow_insecure_http: bool) -> Result<Url, SyncError> {
    let parsed = Url::parse(url.trim()).map_err(|e| SyncError::Url(format!("{url:?} is not a URL: {e}")))?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            if !is_loopback(&parsed) && !allow_insecure_http {
                return Err(SyncError::Url(format!(
                    "{url} is plain http: anyone on the network could watch and alter the traffic. \
                     Use https://, or pass --insecure-http if you really mean it"
                )));
            }
        }
        other => return Err(SyncError::Url(format!("unsupported URL scheme {other:?}; use https://"))),
    }
    if parsed.cannot_be_a_base() || parsed.host().is_none() {
        return Err(SyncError::Url(format!("{url} has no host")));
    }
    Ok(parsed)
}

/// Talks to a hush server over HTTP(S).
///
/// reqwest's async client on a runtime of its own, driven from the calling thread with
/// `block_on`: reqwest's blocking client has no read timeout, and the async client's read
/// timeout panics when a blocking response body is read outside the runtime (found by
/// `an_answer_that_stops_halfway_is_a_network_failure_not_a_protocol_error`). Every answer is
/// read in full inside the runtime, where both timeouts work.
pub struct HttpTransport {
    base: Url,
    client: Client,
    runtime: tokio::runtime::Runtime,
    /// How long a connection and each read may take (for the error message).
    wait: Duration,
    /// The longest answer read ([`MAX_ANSWER_BYTES`]; smaller in this module's tests).
    max_answer: usize,
}

/// The longest answer a device reads, 1 GiB: a full pull of an account at the default quotas
/// (256 MiB of blobs, 100,000 items: docs/spec/sync-api-v2.md, "Limits") is about 360 MB of
/// JSON, so this leaves room for an operator's larger quotas while a hostile or broken server
/// that streams without end cannot make a device hold more than this in memory.
pub const MAX_ANSWER_BYTES: usize = 1 << 30;

/// The longest one request may take in all, however steadily its bytes flow: a last bound for
/// a server that stops reading a large upload, which no read timeout notices. A first sync of
/// 10,000 items moves about 10 MB (docs/benchmarks.md), about 80 s at 1 Mbit/s.
pub const MAX_REQUEST_TIME: Duration = Duration::from_secs(300);

/// An answer, read in full.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

impl HttpTransport {
    /// A transport for `server_url` (already checked with [`check_server_url`]). `wait` bounds
    /// the connection (TCP and TLS) and then every read: a server that accepts but never
    /// answers, or stops in the middle of an answer, is given up on after `wait`, while a
    /// slow but steady transfer may go on up to [`MAX_REQUEST_TIME`] (issue #10, point 14).
    pub fn new(server_url: &Url, ca_file: Option<&Path>, wait: Duration) -> Result<Self, SyncError> {
        static PROVIDER: Once = Once::new();
        PROVIDER.call_once(|| {
            // Another part of the process may have installed one already; either is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let mut builder = Client::builder()
            .connect_timeout(wait)
            .read_timeout(wait)
            .timeout(MAX_REQUEST_TIME.max(wait))
            .user_agent(concat!("hush/", env!("CARGO_PKG_VERSION")))
            .https_only(server_url.scheme() == "https");
        if let Some(ca) = ca_file {
            let pem = std::fs::read(ca)
                .map_err(|e| SyncError::Url(format!("cannot read the CA file {}: {e}", ca.display())))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| SyncError::Url(format!("the CA file {} is not PEM: {e}", ca.display())))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|e| SyncError::Url(format!("cannot set up HTTPS: {e}")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| SyncError::Url(format!("cannot start the network runtime: {e}")))?;
        let mut base = server_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(HttpTransport { base, client, runtime, wait, max_answer: MAX_ANSWER_BYTES })
    }

    fn url(&self, path: &str) -> Url {
        // Paths come from `hush_proto::paths`, the names the server's router uses too, and are
        // constants or built from typed ids, so joining cannot fail. They are absolute
        // (`/v2/...`); the leading '/' is trimmed so that they join under the base URL's own
        // path, which lets a server live under a prefix such as `https://host/hush/`.
        self.base.join(path.trim_start_matches('/')).expect("valid API path")
    }

    /// Sends `req` and reads the answer; a 503 whose `Retry-After` is short is retried after
    /// that wait, twice at most (docs/spec/sync-api-v2.md, "Errors": the store was busy and
    /// nothing was written). Retrying a push is safe even if it had been stored: it then
    /// conflicts on `base_seq`, and the push numbers make the retry supersede it
    /// (docs/spec/crypto-v2.md, "Push numbers").
    fn send(&self, req: RequestBuilder) -> Result<Answer, TransportError> {
        self.send_up_to(req, self.max_answer)
    }

    /// [`HttpTransport::send`], refusing an answer longer than `limit` bytes.
    fn send_up_to(&self, req: RequestBuilder, limit: usize) -> Result<Answer, TransportError> {
        self.runtime.block_on(async {
            let mut req = req;
            let mut retries = 0;
            loop {
                let again = if retries < MAX_BUSY_RETRIES { req.try_clone() } else { None };
                let resp = req.send().await.map_err(|e| self.network(&e))?;
                let status = resp.status();
                let busy = busy_wait(&resp);
                let body = self.body_up_to(resp, limit).await?;
                match (again, busy) {
                    (Some(again), Some(wait)) => {
                        tokio::time::sleep(wait).await;
                        req = again;
                        retries += 1;
                    }
                    _ => return Ok(Answer { status, body }),
                }
            }
        })
    }

    /// The body of `resp`, refused as soon as it is known to be longer than `limit`: from its
    /// `Content-Length` before any of it is read, else as it arrives. A server decides how much it
    /// sends, so reading whatever comes and checking the size afterwards would let it fill the
    /// device's memory.
    async fn body_up_to(&self, mut resp: Response, limit: usize) -> Result<Vec<u8>, TransportError> {
        let too_long = || {
            TransportError::Protocol(format!(
                "longer than {limit} bytes, more than hush reads from a server (docs/spec/sync-api-v2.md, \"Limits\")"
            ))
        };
        if resp.content_length().is_some_and(|length| length > limit as u64) {
            return Err(too_long());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.network(&e))? {
            if body.len() + chunk.len() > limit {
                return Err(too_long());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// A failure to reach the server or to hear from it (a body that stops coming included:
    /// the server may be frozen), said plainly when it was a timeout.
    fn network(&self, e: &reqwest::Error) -> TransportError {
        TransportError::Network(if e.is_timeout() {
            let what = if e.is_connect() { "did not accept a connection" } else { "did not answer" };
            format!("the server {what} within {} s", self.wait.as_secs_f64())
        } else {
            without_url(e)
        })
    }
}

/// How often a request answered 503 is sent again before the 503 is reported.
const MAX_BUSY_RETRIES: usize = 2;
/// The longest `Retry-After` waited for; a longer one is reported at once.
const MAX_BUSY_WAIT: Duration = Duration::from_secs(10);

/// The wait a 503 asks for, if it is one hush waits for: `Retry-After` in seconds, at most
/// [`MAX_BUSY_WAIT`].
fn busy_wait(resp: &Response) -> Option<Duration> {
    if resp.status() != StatusCode::SERVICE_UNAVAILABLE {
        return None;
    }
    let secs = resp.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(secs)).filter(|wait| *wait <= MAX_BUSY_WAIT)
}

/// The error and its causes in one line (reqwest's top-level message alone is vague).
/// URLs in it carry no secret: tokens travel in headers.
fn without_url(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

fn api_error(answer: &Answer) -> TransportError {
    let status = answer.status.as_u16();
    match serde_json::from_slice::<proto::ErrorBody>(&answer.body) {
        Ok(body) => TransportError::Api { status, code: body.error, message: body.message },
        Err(_) => TransportError::Protocol(format!("HTTP {status} without an API error body")),
    }
}

/// A successful answer's JSON body; one that does not parse is a protocol error.
fn json<T: DeserializeOwned>(answer: Answer) -> Result<T, TransportError> {
    if !answer.status.is_success() {
        return Err(api_error(&answer));
    }
    serde_json::from_slice(&answer.body)
        .map_err(|e| TransportError::Protocol(format!("unreadable answer: {e}")))
}

fn empty(answer: Answer) -> Result<(), TransportError> {
    if answer.status.is_success() { Ok(()) } else { Err(api_error(&answer)) }
}

/// The content type of a chunk (sync-api-v2.md, "Files").
const OCTET_STREAM: &str = "application/octet-stream";

impl Transport for HttpTransport {
    fn register(&self, req: &proto::RegisterRequest) -> Result<(), TransportError> {
        empty(self.send(self.client.post(self.url(paths::ACCOUNTS)).json(req))?)
    }

    fn prelogin(&self, account: &proto::AccountId) -> Result<proto::PreloginResponse, TransportError> {
        json(self.send(self.client.get(self.url(&paths::prelogin(account))))?)
    }

    fn challenge(&self, account: &proto::AccountId) -> Result<proto::ChallengeResponse, TransportError> {
        let req = proto::ChallengeRequest { account_id: *account };
        json(self.send(self.client.post(self.url(paths::SESSION_CHALLENGE)).json(&req))?)
    }

    fn login(&self, req: &proto::LoginRequest) -> Result<proto::LoginResponse, TransportError> {
        json(self.send(self.client.post(self.url(paths::SESSIONS)).json(req))?)
    }

    fn pull(&self, token: &proto::SessionToken, since: u64) -> Result<proto::PullResponse, TransportError> {
        let mut url = self.url(paths::VAULT);
        url.query_pairs_mut().append_pair("since", &since.to_string());
        json(self.send(self.client.get(url).bearer_auth(token.expose()))?)
    }

    fn push(
        &self,
        token: &proto::SessionToken,
        req: &proto::PushRequest,
    ) -> Result<PushOutcome, TransportError> {
        let answer =
            self.send(self.client.post(self.url(paths::VAULT)).bearer_auth(token.expose()).json(req))?;
        if answer.status == StatusCode::CONFLICT {
            let status = answer.status.as_u16();
            let body: proto::ErrorBody = serde_json::from_slice(&answer.body)
                .map_err(|e| TransportError::Protocol(format!("unreadable answer: {e}")))?;
            return match (body.error, body.seq) {
                (proto::ErrorCode::Conflict, Some(seq)) => Ok(PushOutcome::Conflict(seq)),
                (code, _) => Err(TransportError::Api { status, code, message: body.message }),
            };
        }
        json::<proto::PushResponse>(answer).map(|r| PushOutcome::Accepted(r.seq))
    }

    fn rekey(&self, token: &proto::SessionToken, req: &proto::RekeyRequest) -> Result<u64, TransportError> {
        json::<proto::RekeyResponse>(
            self.send(self.client.put(self.url(paths::KEYSET)).bearer_auth(token.expose()).json(req))?,
        )
        .map(|r| r.seq)
    }

    fn sessions(&self, token: &proto::SessionToken) -> Result<proto::SessionList, TransportError> {
        json(self.send(self.client.get(self.url(paths::SESSIONS)).bearer_auth(token.expose()))?)
    }

    fn logout(&self, token: &proto::SessionToken) -> Result<(), TransportError> {
        empty(self.send(self.client.delete(self.url(paths::SESSION_CURRENT)).bearer_auth(token.expose()))?)
    }

    fn revoke(&self, token: &proto::SessionToken, session: &proto::SessionId) -> Result<(), TransportError> {
        empty(self.send(self.client.delete(self.url(&paths::session(session))).bearer_auth(token.expose()))?)
    }

    fn delete_account(
        &self,
        token: &proto::SessionToken,
        req: &proto::DeleteAccountRequest,
    ) -> Result<(), TransportError> {
        empty(self.send(
            self.client.delete(self.url(paths::ACCOUNT_CURRENT)).bearer_auth(token.expose()).json(req),
        )?)
    }

    fn put_chunk(
        &self,
        token: &proto::SessionToken,
        file: &proto::FileId,
        index: u32,
        chunk: &[u8],
    ) -> Result<(), TransportError> {
        let req = self
            .client
            .put(self.url(&paths::chunk(file, index)))
            .bearer_auth(token.expose())
            .header(reqwest::header::CONTENT_TYPE, OCTET_STREAM)
            .body(chunk.to_vec());
        empty(self.send(req)?)
    }

    fn get_chunk(
        &self,
        token: &proto::SessionToken,
        file: &proto::FileId,
        index: u32,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        let request = self.client.get(self.url(&paths::chunk(file, index))).bearer_auth(token.expose());
        // A chunk is at most MAX_SEALED_CHUNK_LEN bytes (an error body far less): a longer answer
        // is not a chunk, and is refused before it is all in memory.
        let answer = self.send_up_to(request, self.max_answer.min(proto::MAX_SEALED_CHUNK_LEN))?;
        if answer.status == StatusCode::NOT_FOUND {
            let err = api_error(&answer);
            return if err.code() == Some(proto::ErrorCode::NotFound) { Ok(None) } else { Err(err) };
        }
        if !answer.status.is_success() {
            return Err(api_error(&answer));
        }
        Ok(Some(answer.body))
    }

    fn list_chunks(
        &self,
        token: &proto::SessionToken,
        file: &proto::FileId,
    ) -> Result<proto::ChunkList, TransportError> {
        json(self.send(self.client.get(self.url(&paths::file(file))).bearer_auth(token.expose()))?)
    }

    fn delete_file(&self, token: &proto::SessionToken, file: &proto::FileId) -> Result<(), TransportError> {
        empty(self.send(self.client.delete(self.url(&paths::file(file))).bearer_auth(token.expose()))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback_or_with_the_flag() {
        for ok in [
            "https://hush.example.org",
            "http://127.0.0.1:8787",
            "http://localhost:1",
            "http://[::1]:9/",
            "http://127.5.6.7",
        ] {
            assert!(check_server_url(ok, false).is_ok(), "{ok}");
        }
        for bad in ["http://hush.example.org", "http://10.0.0.1", "http://192.168.1.1:80"] {
            let err = check_server_url(bad, false).unwrap_err().to_string();
            assert!(err.contains("--insecure-http"), "{bad}: {err}");
            assert!(check_server_url(bad, true).is_ok());
        }
        for bad in ["ftp://x", "not a url", "file:///etc/passwd", "https://"] {
            assert!(check_server_url(bad, true).is_err(), "{bad}");
        }
    }

    /// A loopback server that answers each connection with the next of `answers` (closing it
    /// after), and counts the requests it read.
    fn scripted(answers: Vec<&'static str>) -> (Url, std::thread::JoinHandle<usize>) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let server = std::thread::spawn(move || {
            let mut served = 0;
            for answer in answers {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap() > 0 && line != "\r\n" {
                    line.clear();
                }
                (&stream).write_all(answer.as_bytes()).unwrap();
                served += 1;
            }
            served
        });
        (url, server)
    }

    const BUSY: &str = "HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\nconnection: close\r\n\
                        content-type: application/json\r\ncontent-length: 40\r\n\r\n\
                        {\"error\":\"unavailable\",\"message\":\"busy\"}";

    #[test]
    fn a_busy_server_is_asked_again_after_its_retry_after() {
        let ok = "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok";
        let (url, server) = scripted(vec![BUSY, BUSY, ok]);
        let transport = HttpTransport::new(&url, None, Duration::from_secs(5)).unwrap();
        let answer = transport.send(transport.client.get(transport.url("/healthz"))).unwrap();
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(server.join().unwrap(), 3);
    }

    #[test]
    fn a_server_still_busy_after_two_retries_is_reported() {
        let (url, server) = scripted(vec![BUSY, BUSY, BUSY]);
        let transport = HttpTransport::new(&url, None, Duration::from_secs(5)).unwrap();
        let err =
            empty(transport.send(transport.client.get(transport.url("/healthz"))).unwrap()).unwrap_err();
        assert!(
            matches!(err, TransportError::Api { status: 503, code: proto::ErrorCode::Unavailable, .. }),
            "{err:?}"
        );
        assert_eq!(server.join().unwrap(), 3);
    }

    /// A loopback server that accepts one connection, reads the request, writes `partial` (maybe
    /// nothing) and then holds the connection open without another byte until the test ends.
    fn frozen(partial: &'static str) -> (Url, std::sync::mpsc::Sender<()>) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let (release, released) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            let _ = (&stream).write_all(partial.as_bytes());
            let _ = released.recv();
        });
        (url, release)
    }

    #[test]
    fn a_server_that_accepts_and_never_answers_is_a_network_failure_after_the_wait() {
        let (url, _release) = frozen("");
        let transport = HttpTransport::new(&url, None, Duration::from_millis(300)).unwrap();
        let err = transport.prelogin(&proto::AccountId::from_bytes([1; 16])).unwrap_err();
        assert!(
            matches!(&err, TransportError::Network(m) if m == "the server did not answer within 0.3 s"),
            "{err:?}"
        );
    }

    #[test]
    fn an_answer_that_stops_halfway_is_a_network_failure_not_a_protocol_error() {
        let (url, _release) = frozen(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"kdf\":",
        );
        let transport = HttpTransport::new(&url, None, Duration::from_millis(300)).unwrap();
        let err = transport.prelogin(&proto::AccountId::from_bytes([1; 16])).unwrap_err();
        assert!(matches!(&err, TransportError::Network(m) if m.contains("did not answer")), "{err:?}");
    }

    /// A server decides how long its answer is: one longer than the device reads is refused,
    /// whether it says so in `Content-Length` (refused before a byte of the body is read) or
    /// streams it in chunks without a length (refused as soon as it passes the limit). An answer
    /// at the limit is read.
    #[test]
    fn an_answer_longer_than_the_limit_is_refused_before_it_is_all_in_memory() {
        let declared = "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1001\r\n\r\n";
        let mut streamed =
            "HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n".to_owned();
        for _ in 0..3 {
            streamed.push_str(&format!("190\r\n{}\r\n", "x".repeat(400)));
        }
        streamed.push_str("0\r\n\r\n");
        let at_limit = format!(
            "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1000\r\n\r\n{}",
            "y".repeat(1000)
        );
        let (url, server) = scripted(vec![declared, streamed.leak(), at_limit.leak()]);
        let mut transport = HttpTransport::new(&url, None, Duration::from_secs(5)).unwrap();
        transport.max_answer = 1000;
        for what in ["a declared length", "a chunked stream"] {
            let err = transport.send(transport.client.get(transport.url("/healthz"))).err();
            assert!(
                matches!(&err, Some(TransportError::Protocol(m)) if m.starts_with("longer than 1000 bytes")),
                "{what}: {err:?}"
            );
        }
        let answer = transport.send(transport.client.get(transport.url("/healthz"))).unwrap();
        assert_eq!(answer.body.len(), 1000);
        assert_eq!(server.join().unwrap(), 3);
    }

    #[test]
    fn api_paths_join_under_the_base_path() {
        for base in ["https://hush.example.org/prefix", "https://hush.example.org/prefix/"] {
            let transport =
                HttpTransport::new(&check_server_url(base, false).unwrap(), None, Duration::from_secs(1))
                    .unwrap();
            assert_eq!(transport.url(paths::VAULT).as_str(), "https://hush.example.org/prefix/v2/vault");
            let session = proto::SessionId::from_bytes([1; 16]);
            assert_eq!(
                transport.url(&paths::session(&session)).as_str(),
                "https://hush.example.org/prefix/v2/sessions/01010101-0101-0101-0101-010101010101"
            );
        }
    }
}

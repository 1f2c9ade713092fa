//! The request side of the small HTTP servers that stand in for outside services in the
//! end-to-end tests (Have I Been Pwned's range API in tests/tests/audit.rs, its breach list in
//! tests/tests/breaches.rs): a server that records each request and answers as a test says.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the fake service received it.
#[derive(Clone, Debug)]
pub struct Request {
    /// The bytes exactly as sent: request line and headers (these services get no body).
    pub raw: Vec<u8>,
    /// The request target (`/range/ABCDE`).
    pub path: String,
    /// Headers, names in lower case.
    pub headers: BTreeMap<String, String>,
}

/// Reads one request head from `stream`; `None` when the connection ends or stalls first.
pub fn read_request(stream: &mut TcpStream) -> Option<Request> {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 1024];
    while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let mut lines = text.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_owned();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Request { raw, path, headers })
}

/// What a fake service answers: status, headers, body, and optionally a `Content-Length`
/// larger than the body (the connection is then closed early, as a cut download).
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The content type (not sent with a 304).
    pub content_type: &'static str,
    /// Further headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// A `Content-Length` to claim instead of the body's.
    pub claimed_len: Option<usize>,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn json(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            content_type: "application/json; charset=utf-8",
            headers: Vec::new(),
            body: body.into(),
            claimed_len: None,
        }
    }

    /// `status` with a plain-text body.
    pub fn text(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply { status, content_type: "text/plain", ..Reply::json(body) }
    }
}

/// A minimal HTTP/1.1 server on 127.0.0.1:0, one request per connection, that records every
/// request and answers the `n`th (from 0) with `answer(request, n)`.
pub struct StubServer {
    /// `http://127.0.0.1:PORT` followed by the path given to [`StubServer::start`].
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl StubServer {
    /// Starts the server; `path` is appended to its address in [`StubServer::url`].
    pub fn start(path: &str, answer: impl Fn(&Request, usize) -> Reply + Send + 'static) -> StubServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}{path}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&mut stream) else { continue };
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(request.clone());
                    log.len() - 1
                };
                let reply = answer(&request, n);
                let reason = match reply.status {
                    200 => "OK",
                    304 => "Not Modified",
                    429 => "Too Many Requests",
                    _ => "Error",
                };
                let mut head = format!("HTTP/1.1 {} {reason}\r\nConnection: close\r\n", reply.status);
                if reply.status != 304 {
                    head.push_str(&format!("Content-Type: {}\r\n", reply.content_type));
                    head.push_str(&format!(
                        "Content-Length: {}\r\n",
                        reply.claimed_len.unwrap_or(reply.body.len())
                    ));
                }
                for (k, v) in &reply.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&reply.body);
            }
        });
        StubServer { url, requests }
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

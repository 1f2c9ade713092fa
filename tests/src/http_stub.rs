//! The request side of the small HTTP servers that stand in for outside services in the
//! end-to-end tests (Have I Been Pwned's range API in tests/tests/audit.rs, its breach list in
//! tests/tests/breaches.rs): one request read from a connection, as the tests inspect it.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::TcpStream;
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

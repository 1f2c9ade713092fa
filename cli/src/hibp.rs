//! The Have I Been Pwned range API client (`hush audit --hibp`): a [`PwnedSource`]
//! that sends only the first five hex digits of each password's SHA-1 (issue #5).
//!
//! k-anonymity: `GET {base}/range/{PREFIX}` answers with every known suffix under
//! that prefix (hundreds of them), and the comparison with our suffix happens here.
//! With `Add-Padding: true` the service pads each answer with fake suffixes whose
//! count is 0, so the response size does not reveal which prefix was asked for;
//! those entries are ignored. Each distinct prefix is requested once per run.
//!
//! TLS: reqwest's `rustls-no-provider` feature with rustls's `ring` provider
//! (installed here as the process default), and the certificate verifier of
//! `rustls-platform-verifier`, which on Linux checks against the system's CA
//! store. No aws-lc build.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::time::Duration;

use hush_audit::{PwnedHash, PwnedSource};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use url::Url;

/// The public service.
pub(crate) const DEFAULT_URL: &str = "https://api.pwnedpasswords.com";

const USER_AGENT: &str = "hush-password-manager";
/// How often a rate-limited (429) request is retried before giving up.
const MAX_RETRIES: u32 = 3;
/// The longest `Retry-After` we wait; a longer one fails the run with its value.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// When a 429 carries no usable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(2);
/// A padded answer is 800–1,000 lines of about 40 bytes; anything much larger is
/// not the range API.
const MAX_BODY: u64 = 4 << 20;

/// Why a range lookup failed. Messages never contain a hash or a prefix.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HibpError {
    /// The base URL is unusable.
    #[error("invalid --hibp-url {url:?}: {why}")]
    BadUrl {
        /// What was given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// The request did not complete (DNS, connection, TLS, timeout).
    #[error("cannot reach Have I Been Pwned at {host}")]
    Request {
        /// The service's host.
        host: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The service answered with an error status.
    #[error("Have I Been Pwned at {host} answered HTTP {status}")]
    Status {
        /// The service's host.
        host: String,
        /// The status code.
        status: u16,
    },
    /// Still rate-limited after the retries, or asked to wait too long.
    #[error(
        "Have I Been Pwned at {host} is rate-limiting requests (asked to retry after {retry_after} s); try again later"
    )]
    RateLimited {
        /// The service's host.
        host: String,
        /// The last `Retry-After`, in seconds.
        retry_after: u64,
    },
    /// The answer is not the range API's `SUFFIX:COUNT` lines.
    #[error("Have I Been Pwned at {host} sent an answer that is not a range response")]
    Malformed {
        /// The service's host.
        host: String,
    },
}

/// Parses a Have I Been Pwned URL given on the command line (`--hibp-url`, `--breaches-url`):
/// `https`, or plain `http` to a loopback host only (tests, a mirror on this machine). Over the
/// network the answers must be authentic: a forged one could hide a breach. The error says why,
/// for the caller's message.
pub(crate) fn service_url(given: &str) -> Result<Url, String> {
    let url = Url::parse(given.trim()).map_err(|e| e.to_string())?;
    if url.host_str().is_none() {
        return Err("it has no host".to_owned());
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if hush_sync::http::is_loopback(&url) => Ok(url),
        "http" => Err("use https (plain http is allowed for localhost only)".to_owned()),
        _ => Err("use an https:// URL".to_owned()),
    }
}

/// The HTTP client for Have I Been Pwned's services: hush's user agent (the service requires
/// one), a 10 s connect timeout, `timeout` in all, and no redirects (neither API redirects, and
/// following one would send the request somewhere else).
pub(crate) fn service_client(timeout: Duration) -> reqwest::Result<Client> {
    // reqwest's rustls-no-provider feature needs a process-wide provider before any client is
    // built. An Err means one is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(10))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// A range API client.
pub(crate) struct Hibp {
    client: Client,
    base: Url,
    host: String,
}

impl Hibp {
    /// A client for `base` (default [`DEFAULT_URL`]). Plain `http` is accepted only
    /// for a loopback host (tests, a local mirror): over the network the answers
    /// must be authentic, or an attacker could hide a breach.
    pub(crate) fn new(base: Option<&str>) -> Result<Hibp, HibpError> {
        let given = base.unwrap_or(DEFAULT_URL);
        let bad = |why: &str| HibpError::BadUrl { url: given.to_owned(), why: why.to_owned() };
        let mut base = service_url(given).map_err(|why| bad(&why))?;
        let host = base.host_str().unwrap_or_default().to_owned();
        if base.query().is_some() || base.fragment().is_some() {
            return Err(bad("it must not have a query or fragment"));
        }
        // "…/range/PREFIX" is appended to whatever path the base has.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }

        // The range API does not redirect; following one to another host would send the
        // prefixes somewhere unexpected (service_client follows none).
        let client = service_client(Duration::from_secs(30))
            .map_err(|source| HibpError::Request { host: host.clone(), source })?;
        Ok(Hibp { client, base, host })
    }

    /// The known suffixes under `prefix` with their counts (padding removed).
    fn range(&mut self, prefix: &str) -> Result<HashMap<String, u64>, HibpError> {
        let url = self
            .base
            .join(&format!("range/{prefix}"))
            .map_err(|e| HibpError::BadUrl { url: self.base.to_string(), why: e.to_string() })?;
        let mut retries = 0;
        loop {
            let response = self
                .client
                .get(url.clone())
                .header("Add-Padding", "true")
                .send()
                // The error's URL holds the prefix: keep it out of messages and logs.
                .map_err(|e| HibpError::Request { host: self.host.clone(), source: e.without_url() })?;
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = retry_after(response.headers()).unwrap_or(DEFAULT_RETRY_AFTER);
                if retries >= MAX_RETRIES || wait > MAX_RETRY_AFTER {
                    return Err(HibpError::RateLimited {
                        host: self.host.clone(),
                        retry_after: wait.as_secs(),
                    });
                }
                retries += 1;
                std::thread::sleep(wait);
                continue;
            }
            if !status.is_success() {
                return Err(HibpError::Status { host: self.host.clone(), status: status.as_u16() });
            }
            let mut body = Vec::new();
            response
                .take(MAX_BODY + 1)
                .read_to_end(&mut body)
                .map_err(|_| HibpError::Malformed { host: self.host.clone() })?;
            if body.len() as u64 > MAX_BODY {
                return Err(HibpError::Malformed { host: self.host.clone() });
            }
            return parse_range(&body).ok_or_else(|| HibpError::Malformed { host: self.host.clone() });
        }
    }
}

impl PwnedSource for Hibp {
    type Error = HibpError;

    fn counts(&mut self, hashes: &[PwnedHash]) -> Result<Vec<u64>, HibpError> {
        // One request per distinct prefix, in a fixed order.
        let mut by_prefix: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, h) in hashes.iter().enumerate() {
            by_prefix.entry(h.prefix()).or_default().push(i);
        }
        let mut counts = vec![0; hashes.len()];
        for (prefix, positions) in by_prefix {
            let range = self.range(&prefix)?;
            for i in positions {
                counts[i] = range.get(hashes[i].suffix().as_str()).copied().unwrap_or(0);
            }
        }
        Ok(counts)
    }
}

/// `Retry-After` as a number of seconds (the API's form; an HTTP date is not used
/// by it and falls back to the default).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Parses a range answer: `SUFFIX:COUNT` lines (35 hex digits), `\r\n` or `\n`.
/// Entries with count 0 are padding and left out; suffixes are upper-cased.
/// `None` if any line has another form.
fn parse_range(body: &[u8]) -> Option<HashMap<String, u64>> {
    let text = std::str::from_utf8(body).ok()?;
    let mut out = HashMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (suffix, count) = line.split_once(':')?;
        if suffix.len() != 35 || !suffix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let count: u64 = count.trim().parse().ok()?;
        if count > 0 {
            out.insert(suffix.to_ascii_uppercase(), count);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_range_drops_padding_and_upper_cases() {
        let body = b"0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n\
            00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0\r\n\
            1e4c9b93f3f0682250b6cf8331b7ee68fd8:3861493\r\n";
        let range = parse_range(body).unwrap();
        assert_eq!(range.len(), 2);
        assert_eq!(range["1E4C9B93F3F0682250B6CF8331B7EE68FD8"], 3_861_493);
        assert!(!range.contains_key("00D4F6E8FA6EECAD2A3AA415EEC418D38EC"), "padding");
    }

    #[test]
    fn parse_range_rejects_other_answers() {
        assert!(parse_range(b"<html>rate limited</html>").is_none());
        assert!(parse_range(b"0018A45C4D1DEF81644B54AB7F969B88D65:x").is_none());
        assert!(parse_range(b"5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1").is_none(), "a full hash");
        assert_eq!(parse_range(b"").map(|r| r.len()), Some(0));
    }

    #[test]
    fn base_urls_must_be_https_except_on_loopback() {
        assert!(Hibp::new(None).is_ok());
        assert!(Hibp::new(Some("http://127.0.0.1:8080")).is_ok());
        assert!(Hibp::new(Some("http://localhost:8080/mirror")).is_ok());
        assert!(Hibp::new(Some("http://[::1]:8080")).is_ok());
        assert!(matches!(Hibp::new(Some("http://example.com")), Err(HibpError::BadUrl { .. })));
        assert!(matches!(Hibp::new(Some("ftp://example.com")), Err(HibpError::BadUrl { .. })));
        assert!(matches!(Hibp::new(Some("not a url")), Err(HibpError::BadUrl { .. })));
        let h = Hibp::new(Some("http://127.0.0.1:9/mirror")).unwrap();
        assert_eq!(h.base.join("range/ABCDE").unwrap().as_str(), "http://127.0.0.1:9/mirror/range/ABCDE");
    }
}

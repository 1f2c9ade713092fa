//! Have I Been Pwned's list of breached sites for `hush audit --breaches` and `hush breach
//! --exposed` (issue #14; docs/audit-and-breach.md, "Breached sites"): downloaded over HTTPS,
//! cached in the hush folder, revalidated with `If-None-Match` / `If-Modified-Since`, or read
//! from a file. Parsing and the finding are `hush_audit::breaches`; this module only moves bytes.
//!
//! Fetching the whole list tells the service nothing about the vault: the request is the same
//! for every user. It needs no API key.
//!
//! The cache is one file, `breaches.cache`, written atomically with mode 0600 (it holds nothing
//! secret, but lives with files that do): a first line of JSON with the URL it came from and
//! the validators the server sent (`ETag`, `Last-Modified`), then the list exactly as
//! downloaded. One file, so that validators and body can never come from different downloads:
//! an ETag paired with an older body would make the server answer 304 and keep the old list
//! forever. A list is cached only once it parsed, so a malformed answer never replaces a good
//! copy.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hush_audit::breaches::MAX_LIST_BYTES;
use hush_audit::{BreachList, BreachListError};
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use serde::{Deserialize, Serialize};
use url::Url;

/// The public list.
pub(crate) const DEFAULT_URL: &str = "https://haveibeenpwned.com/api/v3/breaches";

/// The cache's name in the hush folder.
pub(crate) const CACHE_FILE: &str = "breaches.cache";

/// Where the list came from, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Downloaded now (the server sent a new list).
    Downloaded {
        /// The URL.
        url: String,
    },
    /// The server said the cached copy is current (304 Not Modified).
    Cached {
        /// The URL.
        url: String,
        /// When the cached copy was downloaded (Unix seconds).
        fetched: i64,
    },
    /// Read from `--breaches-file`.
    File {
        /// The file.
        path: PathBuf,
    },
}

impl Origin {
    /// `"download"`, `"cache"` or `"file"`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Origin::Downloaded { .. } => "download",
            Origin::Cached { .. } => "cache",
            Origin::File { .. } => "file",
        }
    }

    /// The URL or the file.
    pub(crate) fn location(&self) -> String {
        match self {
            Origin::Downloaded { url } | Origin::Cached { url, .. } => url.clone(),
            Origin::File { path } => path.display().to_string(),
        }
    }
}

/// A list ready for the finding.
pub(crate) struct Loaded {
    /// The list.
    pub list: BreachList,
    /// Where it came from.
    pub origin: Origin,
}

/// Why no list could be had. Messages name the host or the file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    /// `--breaches-url` is unusable.
    #[error("invalid --breaches-url {url:?}: {why}")]
    BadUrl {
        /// What was given.
        url: String,
        /// What is wrong.
        why: String,
    },
    /// The request did not complete (DNS, connection, TLS, timeout).
    #[error(
        "cannot download the breach list from {host}; on a machine without network use --breaches-file FILE"
    )]
    Request {
        /// The host.
        host: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// An error status.
    #[error("the breach list server {host} answered HTTP {status}")]
    Status {
        /// The host.
        host: String,
        /// The status.
        status: u16,
    },
    /// 304 to a request that had no validators: there is nothing it could refer to.
    #[error("the breach list server {host} answered 304 Not Modified, but nothing was cached")]
    UnexpectedNotModified {
        /// The host.
        host: String,
    },
    /// The connection ended before the body did.
    #[error("the download of the breach list from {host} was cut short; try again")]
    CutShort {
        /// The host.
        host: String,
    },
    /// The file could not be read.
    #[error("cannot read the breach list {}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a usable list.
    #[error("{origin}: {source}")]
    List {
        /// The host or the file.
        origin: String,
        /// What is wrong with it.
        #[source]
        source: BreachListError,
    },
}

/// Checks `--breaches-url` (default [`DEFAULT_URL`]): `https`, or plain `http` to a loopback
/// host only (a mirror on this machine, tests), as for `--hibp-url`. Over the network the list
/// must be authentic: a forged one could hide a breach.
pub(crate) fn check_url(given: Option<&str>) -> Result<Url, FetchError> {
    let given = given.unwrap_or(DEFAULT_URL);
    let bad = |why: &str| FetchError::BadUrl { url: given.to_owned(), why: why.to_owned() };
    crate::hibp::service_url(given).map_err(|why| bad(&why))
}

/// Reads `--breaches-file`.
pub(crate) fn from_file(path: &Path) -> Result<Loaded, FetchError> {
    let file =
        std::fs::File::open(path).map_err(|source| FetchError::File { path: path.to_owned(), source })?;
    let mut bytes = Vec::new();
    file.take(MAX_LIST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| FetchError::File { path: path.to_owned(), source })?;
    let list = BreachList::parse(&bytes)
        .map_err(|source| FetchError::List { origin: path.display().to_string(), source })?;
    Ok(Loaded { list, origin: Origin::File { path: path.to_owned() } })
}

/// The first line of the cache file.
#[derive(Serialize, Deserialize)]
struct CacheHeader {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    /// Unix seconds of the download.
    fetched: i64,
}

/// A cached list that parsed.
struct Cached {
    header: CacheHeader,
    list: BreachList,
}

/// The cache in `dir`, if it exists and is whole. A damaged one is reported and ignored: the
/// list is then downloaded in full, which repairs it.
fn read_cache(path: &Path) -> Option<Cached> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            eprintln!(
                "warning: cannot read the cached breach list {}: {e}; downloading it again",
                path.display()
            );
            return None;
        }
    };
    let parsed = bytes.iter().position(|&b| b == b'\n').and_then(|nl| {
        let header: CacheHeader = serde_json::from_slice(&bytes[..nl]).ok()?;
        let list = BreachList::parse(&bytes[nl + 1..]).ok()?;
        Some(Cached { header, list })
    });
    if parsed.is_none() {
        eprintln!("warning: the cached breach list {} is damaged; downloading it again", path.display());
    }
    parsed
}

fn write_cache(path: &Path, header: &CacheHeader, body: &[u8]) -> Result<(), anyhow::Error> {
    let mut bytes = serde_json::to_vec(header)?;
    bytes.push(b'\n');
    bytes.extend_from_slice(body);
    hush_vault::durable::write_atomic(path, &bytes, None)?;
    Ok(())
}

/// Downloads the list from `url`, or has the server confirm that the copy cached in
/// `cache_dir` is current; caches a new list.
pub(crate) fn fetch(url: &Url, cache_dir: &Path, now: i64) -> Result<Loaded, FetchError> {
    let host = url.host_str().unwrap_or_default().to_owned();
    let cache_path = cache_dir.join(CACHE_FILE);
    // Validators of another URL's copy mean nothing to this server.
    let cached = read_cache(&cache_path).filter(|c| c.header.url == url.as_str());

    let client = crate::hibp::service_client(Duration::from_secs(60))
        .map_err(|source| FetchError::Request { host: host.clone(), source })?;
    let mut request = client.get(url.clone());
    if let Some(c) = &cached {
        if let Some(etag) = &c.header.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(modified) = &c.header.last_modified {
            request = request.header(IF_MODIFIED_SINCE, modified);
        }
    }
    let response = request.send().map_err(|source| FetchError::Request { host: host.clone(), source })?;
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        let Some(cached) = cached else {
            return Err(FetchError::UnexpectedNotModified { host });
        };
        return Ok(Loaded {
            list: cached.list,
            origin: Origin::Cached { url: url.to_string(), fetched: cached.header.fetched },
        });
    }
    if !status.is_success() {
        return Err(FetchError::Status { host, status: status.as_u16() });
    }
    let headers = response.headers();
    let header_value = |name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let header = CacheHeader {
        url: url.to_string(),
        etag: header_value(ETAG),
        last_modified: header_value(LAST_MODIFIED),
        fetched: now,
    };
    let mut body = Vec::new();
    response
        .take(MAX_LIST_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|_| FetchError::CutShort { host: host.clone() })?;
    let list =
        BreachList::parse(&body).map_err(|source| FetchError::List { origin: host.clone(), source })?;
    if let Err(e) = write_cache(&cache_path, &header, &body) {
        eprintln!("warning: cannot cache the breach list in {}: {e:#}", cache_path.display());
    }
    Ok(Loaded { list, origin: Origin::Downloaded { url: url.to_string() } })
}

/// Where this run takes the list from: `--breaches-file`, else [`fetch`] from `--breaches-url`
/// (checked when the source is made, so that a typo fails before the master password is asked
/// for).
pub(crate) enum Source {
    /// A file (no network).
    File(PathBuf),
    /// A URL (downloaded, cached, revalidated).
    Url(Url),
}

impl Source {
    /// Validates the options; no I/O.
    pub(crate) fn new(url: Option<&str>, file: Option<&Path>) -> Result<Source, FetchError> {
        match file {
            Some(path) => Ok(Source::File(path.to_owned())),
            None => Ok(Source::Url(check_url(url)?)),
        }
    }

    /// Loads the list (the cache lives in `cache_dir`).
    pub(crate) fn load(&self, cache_dir: &Path) -> Result<Loaded, FetchError> {
        match self {
            Source::File(path) => from_file(path),
            Source::Url(url) => fetch(url, cache_dir, hush_vault::now()),
        }
    }

    /// What stderr says before the list is read.
    pub(crate) fn describe(&self) -> String {
        match self {
            Source::File(path) => format!("Reading the breach list {}...", path.display()),
            Source::Url(url) => format!(
                "Checking the list of breached sites at {} (the whole list; nothing about your vault is sent)...",
                url.host_str().unwrap_or_default()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breach_list_urls_must_be_https_except_on_loopback() {
        assert_eq!(check_url(None).unwrap().as_str(), DEFAULT_URL);
        assert!(check_url(Some("http://127.0.0.1:8080/breaches")).is_ok());
        assert!(check_url(Some("http://localhost:8080/api/v3/breaches")).is_ok());
        assert!(check_url(Some("http://[::1]:8080/x")).is_ok());
        assert!(check_url(Some("https://mirror.example/breaches.json")).is_ok());
        for bad in ["http://example.com/breaches", "ftp://example.com/b", "not a url", "file:///etc/passwd"] {
            assert!(matches!(check_url(Some(bad)), Err(FetchError::BadUrl { .. })), "{bad}");
        }
    }

    #[test]
    fn a_damaged_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CACHE_FILE);
        assert!(read_cache(&path).is_none(), "missing");
        std::fs::write(
            &path,
            b"{\"url\":\"x\",\"etag\":null,\"last_modified\":null,\"fetched\":1}\n[{\"Name\"",
        )
        .unwrap();
        assert!(read_cache(&path).is_none(), "a truncated body");
        std::fs::write(&path, b"not json\n[]").unwrap();
        assert!(read_cache(&path).is_none(), "a bad header");
        let list =
            br#"[{"Name":"A","Domain":"a.example","BreachDate":"2020-01-01","DataClasses":["Passwords"]}]"#;
        let header =
            CacheHeader { url: "x".into(), etag: Some("\"v1\"".into()), last_modified: None, fetched: 5 };
        write_cache(&path, &header, list).unwrap();
        let cached = read_cache(&path).unwrap();
        assert_eq!((cached.header.etag.as_deref(), cached.list.breaches().len()), (Some("\"v1\""), 1));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}

//! git's credential helper protocol (gitcredentials(7), git-credential(1) "INPUT/OUTPUT
//! FORMAT") and the rule that picks the login for a request (docs/git-credential.md). No I/O
//! beyond the reader and writer given: `commands::git_credential` opens the vault.

use std::io::{BufRead, Read, Write};

use anyhow::{Result, bail};
use zeroize::Zeroizing;

/// The most a request may be: a few short attributes, plus git's `wwwauth[]` headers.
const MAX_REQUEST: u64 = 64 * 1024;

/// What git sent: the attributes hush uses. Others (`wwwauth[]`, `capability[]`,
/// `password_expiry_utc`, …) are read and ignored, as the protocol asks of helpers.
#[derive(Default)]
pub(crate) struct Request {
    /// `protocol`, e.g. `https`.
    pub protocol: Option<String>,
    /// `host`, with `:port` when the URL had one.
    pub host: Option<String>,
    /// `path` (only with `credential.useHttpPath`), without a leading slash.
    pub path: Option<String>,
    /// `username`, when the URL or an earlier helper named one.
    pub username: Option<String>,
    /// `password` (`store` and `erase`).
    pub password: Option<Zeroizing<String>>,
}

/// Reads a request: `key=value` lines up to a blank line or the end of input. A line without
/// `=` is an error, as it is for git's own helpers.
pub(crate) fn read_request(input: impl Read) -> Result<Request> {
    let mut reader = std::io::BufReader::new(input.take(MAX_REQUEST));
    let mut request = Request::default();
    let mut line = Zeroizing::new(String::new());
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let text = line.strip_suffix('\n').unwrap_or(&line);
        if text.is_empty() {
            break;
        }
        let Some((key, value)) = text.split_once('=') else {
            bail!("git sent a line that is not key=value");
        };
        if value.contains('\0') {
            bail!("git sent a value with a NUL byte");
        }
        match key {
            "protocol" => request.protocol = Some(value.to_owned()),
            "host" => request.host = Some(value.to_owned()),
            "path" => request.path = Some(value.to_owned()),
            "username" => request.username = Some(value.to_owned()),
            "password" => request.password = Some(Zeroizing::new(value.to_owned())),
            // git-credential(1): "url" stands for its parts, and helpers may receive it.
            "url" => {
                if let Ok(url) = url::Url::parse(value) {
                    request.protocol = Some(url.scheme().to_owned());
                    request.host = url.host_str().map(|h| match url.port() {
                        Some(port) => format!("{h}:{port}"),
                        None => h.to_owned(),
                    });
                    let path = url.path().trim_start_matches('/');
                    request.path = (!path.is_empty()).then(|| path.to_owned());
                    if !url.username().is_empty() {
                        request.username = Some(url.username().to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(request)
}

/// Writes the answer to `get`: `username=` and `password=` lines (the ones that are not
/// empty). A value with a line break or NUL cannot be said in this protocol and is refused
/// rather than cut. A carriage return counts as a line break: git drops one before the line
/// feed (`strbuf_getline` in its `credential_read`), which would cut a password that ends in
/// one, and since its fix for CVE-2024-52006 (`credential.protectProtocol`, on by default) git
/// dies rather than write a value with one anywhere, as it does when it hands the login to its
/// helpers' `store`.
pub(crate) fn write_answer(mut out: impl Write, username: &str, password: &str) -> Result<()> {
    if [username, password].iter().any(|v| v.contains(['\n', '\r', '\0'])) {
        bail!(
            "the login's user name or password contains a line break or a NUL, which git's credential protocol cannot carry"
        );
    }
    let mut text = Zeroizing::new(String::with_capacity(username.len() + password.len() + 20));
    if !username.is_empty() {
        text.push_str("username=");
        text.push_str(username);
        text.push('\n');
    }
    if !password.is_empty() {
        text.push_str("password=");
        text.push_str(password);
        text.push('\n');
    }
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Where git wants to go, normalised for comparison with an item's URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    scheme: String,
    host: String,
    port: Option<u16>,
    path: Option<Vec<String>>,
}

impl Target {
    /// The target of a request; `None` without a protocol and a host (git always sends both
    /// for http(s); nothing can match without them), or when either is not one on its own.
    pub(crate) fn of(request: &Request) -> Option<Target> {
        let (protocol, host) = (request.protocol.as_deref()?, request.host.as_deref()?);
        // The URL parsed below is put together from the two attributes, so each must stand for
        // itself only: a protocol that is not a scheme, or a host holding a character that ends
        // a URL's host early (`/`, `?`, `#`, `@`, `\`), that URL parsing decodes (`%`) or drops
        // (tabs and line breaks), would make hush answer for another site than the one git
        // named. A real remote's attributes never hold them (found by the `git_credential`
        // fuzz target).
        let is_scheme = protocol.starts_with(|c: char| c.is_ascii_alphabetic())
            && protocol.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        let in_host = |c: char| !(c.is_control() || c.is_whitespace() || "/?#@\\%".contains(c));
        if !is_scheme || !host.chars().all(in_host) {
            return None;
        }
        let url = url::Url::parse(&format!("{protocol}://{host}/")).ok()?;
        Some(Target {
            scheme: url.scheme().to_owned(),
            host: url.host_str()?.to_owned(),
            port: url.port_or_known_default(),
            path: request.path.as_deref().map(segments),
        })
    }

    /// The host as hush's search index keeps hosts (`hush_vault::host_of`: no `www.`), to find
    /// the candidates without decrypting every item.
    pub(crate) fn index_host(&self) -> &str {
        self.host.strip_prefix("www.").unwrap_or(&self.host)
    }

    /// Whether git sent a path (`credential.useHttpPath`).
    pub(crate) fn has_path(&self) -> bool {
        self.path.is_some()
    }

    /// `scheme://host[:port][/path]`, for messages and for a login `store` creates.
    pub(crate) fn url(&self) -> String {
        let mut url = format!("{}://{}", self.scheme, self.host);
        let default_port = url::Url::parse(&url).ok().and_then(|u| u.port_or_known_default());
        if let Some(port) = self.port.filter(|&p| Some(p) != default_port) {
            url.push_str(&format!(":{port}"));
        }
        if let Some(path) = self.path.as_ref().filter(|p| !p.is_empty()) {
            url.push('/');
            url.push_str(&path.join("/"));
        }
        url
    }

    /// How well an item's URL matches: `None` when it does not (another scheme, host or port,
    /// or a path that is not a prefix of git's path); else the number of path segments it
    /// names, so that the most specific login wins. A URL without a scheme is `https://`, the
    /// way hush reads URLs everywhere (`hush_vault::host_of`): it never matches plain http,
    /// so a password saved for a site is not sent unencrypted.
    pub(crate) fn specificity(&self, item_url: &str) -> Option<usize> {
        let item_url = item_url.trim();
        let parsed = if item_url.contains("://") {
            url::Url::parse(item_url).ok()?
        } else {
            url::Url::parse(&format!("https://{item_url}")).ok()?
        };
        if !parsed.scheme().eq_ignore_ascii_case(&self.scheme)
            || !parsed.host_str()?.eq_ignore_ascii_case(&self.host)
            || parsed.port_or_known_default() != self.port
        {
            return None;
        }
        let item_path = segments(&percent_encoding::percent_decode_str(parsed.path()).decode_utf8_lossy());
        match &self.path {
            Some(path) if !path.starts_with(&item_path) => None,
            _ => Some(item_path.len()),
        }
    }
}

/// A path as comparable segments: no empty ones, and no `.git` at the end (`org/repo` and
/// `org/repo.git/` are the same repository to git). Crate-visible for the `git_credential` fuzz
/// target, which includes this module by path and compares specificities with git's path.
pub(crate) fn segments(path: &str) -> Vec<String> {
    let mut segments: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if let Some(last) = segments.last_mut()
        && let Some(stem) = last.strip_suffix(".git")
        && !stem.is_empty()
    {
        *last = stem.to_owned();
    }
    segments
}

/// What the choice among candidates came to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Choice<T> {
    /// Nothing matches.
    None,
    /// One login matches best.
    One(T),
    /// Several match equally well: they are listed, nothing is guessed.
    Ambiguous(Vec<T>),
}

/// Picks among `(candidate, specificity)`: the most specific one when git sent a path,
/// otherwise the only one. Ties are ambiguous.
pub(crate) fn choose<T>(mut candidates: Vec<(T, usize)>, with_path: bool) -> Choice<T> {
    if with_path && let Some(best) = candidates.iter().map(|c| c.1).max() {
        candidates.retain(|c| c.1 == best);
    }
    let mut found: Vec<T> = candidates.into_iter().map(|c| c.0).collect();
    match found.len() {
        0 => Choice::None,
        1 => Choice::One(found.remove(0)),
        _ => Choice::Ambiguous(found),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Request {
        read_request(text.as_bytes()).unwrap()
    }

    fn target(text: &str) -> Target {
        Target::of(&request(text)).unwrap()
    }

    #[test]
    fn requests_end_at_a_blank_line_or_the_end_and_ignore_other_keys() {
        let r = request(
            "protocol=https\nhost=git.example.org:8443\nwwwauth[]=Basic realm=\"x\"\ncapability[]=authtype\n\nhost=ignored\n",
        );
        assert_eq!(r.protocol.as_deref(), Some("https"));
        assert_eq!(r.host.as_deref(), Some("git.example.org:8443"));
        assert!(r.path.is_none() && r.username.is_none() && r.password.is_none());
        let r = request("protocol=https\nhost=h\nusername=me\npassword=a=b");
        assert_eq!(r.password.as_deref().map(String::as_str), Some("a=b"), "only the first = splits");
        let r = request("url=https://me@h.example:444/org/repo.git\n");
        assert_eq!(
            (r.host.as_deref(), r.path.as_deref(), r.username.as_deref()),
            (Some("h.example:444"), Some("org/repo.git"), Some("me"))
        );
        assert!(read_request("protocol https\n".as_bytes()).is_err());
    }

    #[test]
    fn answers_are_key_value_lines_and_refuse_line_breaks() {
        let mut out = Vec::new();
        write_answer(&mut out, "octocat", "p=ss word").unwrap();
        assert_eq!(out, b"username=octocat\npassword=p=ss word\n");
        let mut out = Vec::new();
        write_answer(&mut out, "", "pw").unwrap();
        assert_eq!(out, b"password=pw\n");
        assert!(write_answer(Vec::new(), "me", "two\nlines").is_err());
    }

    /// Found by the `git_credential` fuzz target: a password ending in a carriage return was
    /// written as it was, and git, which drops a carriage return before the line feed, would
    /// have used the password without it. A carriage return anywhere else makes git (since
    /// CVE-2024-52006) die when it passes the login on to `store`.
    #[test]
    fn answers_refuse_carriage_returns() {
        for (username, password) in [("me", "pass\r"), ("me", "pa\rss"), ("me\r", "pass"), ("me", "\r")] {
            let mut out = Vec::new();
            assert!(write_answer(&mut out, username, password).is_err(), "{username:?} {password:?}");
            assert!(out.is_empty(), "nothing is written");
        }
    }

    #[test]
    fn urls_match_by_scheme_host_port_and_path_prefix() {
        let t = target("protocol=https\nhost=github.com\npath=org/repo.git\n");
        assert_eq!(t.specificity("https://github.com"), Some(0));
        assert_eq!(t.specificity("github.com"), Some(0), "no scheme is https");
        assert_eq!(t.specificity("https://GitHub.com/org/"), Some(1));
        assert_eq!(t.specificity("https://github.com/org/repo"), Some(2));
        assert_eq!(t.specificity("https://github.com/org/repo.git"), Some(2));
        assert_eq!(t.specificity("https://github.com:443/org"), Some(1), "the default port");
        assert_eq!(t.specificity("https://github.com/other"), None);
        assert_eq!(t.specificity("https://github.com/org/repository"), None, "whole segments only");
        assert_eq!(t.specificity("http://github.com"), None, "never downgrade to http");
        assert_eq!(t.specificity("https://www.github.com"), None, "exact host");
        assert_eq!(t.specificity("https://gist.github.com"), None);
        assert_eq!(t.specificity("https://github.com:8443"), None);
        let plain = target("protocol=http\nhost=127.0.0.1:8080\n");
        assert_eq!(plain.specificity("http://127.0.0.1:8080/repo.git"), Some(1), "without a path, any path");
        assert_eq!(plain.specificity("127.0.0.1:8080"), None, "no scheme is https, not http");
        assert_eq!(plain.specificity("http://127.0.0.1"), None);
        assert_eq!(plain.url(), "http://127.0.0.1:8080");
        assert_eq!(t.url(), "https://github.com/org/repo");
    }

    /// Found by the `git_credential` fuzz target: the target was parsed from
    /// `{protocol}://{host}/`, so a host attribute such as `github.com/x` or `evil.example#`, or
    /// a protocol such as `https://github.com#`, named the host of another site, whose logins
    /// would then have answered.
    #[test]
    fn a_protocol_or_host_that_is_not_one_on_its_own_names_no_target() {
        for (protocol, host) in [
            ("https", "github.com/x"),
            ("https", "github.com?"),
            ("https", "github.com#.evil.example"),
            ("https", "me@github.com"),
            ("https", "github.com\\x"),
            ("https", "git%68ub.com"),
            ("https", "git\thub.com"),
            ("https", "github.com\r"),
            ("https", "github .com"),
            ("https://github.com#", "evil.example"),
            ("https:", "github.com"),
            ("1https", "github.com"),
            ("", "github.com"),
        ] {
            let request = Request {
                protocol: Some(protocol.to_owned()),
                host: Some(host.to_owned()),
                ..Request::default()
            };
            assert!(Target::of(&request).is_none(), "{protocol:?} {host:?}");
        }
        for (protocol, host, url) in [
            ("https", "github.com", "https://github.com"),
            ("HTTPS", "GitHub.com:8443", "https://github.com:8443"),
            ("http", "[::1]:8080", "http://[::1]:8080"),
            ("git+https", "forge.example", "git+https://forge.example"),
        ] {
            let t = target(&format!("protocol={protocol}\nhost={host}\n"));
            assert_eq!(t.url(), url);
        }
    }

    #[test]
    fn the_most_specific_login_wins_and_ties_are_ambiguous() {
        assert_eq!(choose(vec![("host", 0), ("org", 1), ("repo", 2)], true), Choice::One("repo"));
        assert_eq!(choose(vec![("a", 1), ("b", 1), ("host", 0)], true), Choice::Ambiguous(vec!["a", "b"]));
        assert_eq!(choose(vec![("host", 0), ("org", 1)], false), Choice::Ambiguous(vec!["host", "org"]));
        assert_eq!(choose(vec![("only", 3)], false), Choice::One("only"));
        assert_eq!(choose(Vec::<(&str, usize)>::new(), true), Choice::None);
    }
}

//! git's credential-helper protocol as `hush git-credential` speaks it (cli/src/git_credential.rs;
//! docs/git-credential.md): the request git writes on standard input, the answer hush writes
//! back, and the rule that picks a login, with the very module the CLI compiles (included by
//! path, because the CLI is a binary crate).
//!
//! The input is up to three parts separated by blank lines: a request (which `read_request`
//! reads up to the first blank line by itself), the URLs of candidate logins (one a line), and
//! `USERNAME:PASSWORD` for an answer (either may hold a line break or a NUL). Its bytes also
//! make a list of candidates and their specificities for `choose`.
//!
//! Properties:
//! - a request that reads has no line feed or NUL in any attribute;
//! - its target is the scheme and the host git sent: a protocol that is not a scheme, or a host
//!   with a character that would end a URL's host early, gives no target (and so no answer);
//! - a URL saved without a scheme never matches a plain-http request, and a login's URL whose
//!   path is not a prefix of git's path never matches when git sent one;
//! - `choose` picks per its rule: with a path the most specific candidates, without one all of
//!   them; one is an answer, several are ambiguous (in their order), none is nothing;
//! - `write_answer` refuses exactly the values git could not read back whole (a line feed, a
//!   carriage return or a NUL in them) and writes nothing then; what it writes reads back, with
//!   `read_request` and with git's own reading of a helper's answer, as the same user name and
//!   password.
#![no_main]

#[allow(dead_code, unreachable_pub)]
#[path = "../../cli/src/git_credential.rs"]
mod git_credential;

use git_credential::{Choice, Request, Target, choose, read_request, segments, write_answer};
use libfuzzer_sys::fuzz_target;

/// What git makes of a helper's answer (`credential_read` in git's credential.c): lines end at
/// a line feed, a carriage return before it is dropped (`strbuf_getline`), a blank line ends
/// the answer, and the first `=` separates key and value.
fn git_reads(answer: &[u8]) -> Result<(Option<&[u8]>, Option<&[u8]>), String> {
    let (mut username, mut password) = (None, None);
    for line in answer.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let Some(at) = line.iter().position(|&b| b == b'=') else {
            return Err(format!("invalid credential line: {line:?}"));
        };
        let value = &line[at + 1..];
        match &line[..at] {
            b"username" => username = Some(value),
            b"password" => password = Some(value),
            _ => {}
        }
    }
    Ok((username, password))
}

fn check_request(request: &Request) {
    let fields = [
        request.protocol.as_deref(),
        request.host.as_deref(),
        request.path.as_deref(),
        request.username.as_deref(),
        request.password.as_ref().map(|p| p.as_str()),
    ];
    for field in fields.into_iter().flatten() {
        assert!(!field.contains(['\n', '\0']), "an attribute holds a line feed or NUL: {field:?}");
    }
}

fn check_target(request: &Request, urls: &[&str]) {
    let Some(target) = Target::of(request) else { return };
    let (protocol, host) = (request.protocol.as_deref().unwrap(), request.host.as_deref().unwrap());
    let url = target.url();
    assert!(
        url.strip_prefix(&protocol.to_ascii_lowercase()).is_some_and(|rest| rest.starts_with("://")),
        "the protocol {protocol:?} became the target {url:?}"
    );
    assert!(
        !host.contains(|c: char| c.is_control() || c.is_whitespace() || "/?#@\\%".contains(c)),
        "the host {host:?} is not one host, yet it became the target {url:?}"
    );
    let path = request.path.as_deref().map(segments);
    let mut candidates = Vec::new();
    for (i, item_url) in urls.iter().enumerate() {
        let Some(specificity) = target.specificity(item_url) else { continue };
        // docs/git-credential.md: "A URL saved without a scheme is https:// […] so it never
        // answers a plain http:// request".
        assert!(
            item_url.contains("://") || url.starts_with("https://"),
            "{item_url:?}, saved without a scheme, matches {url:?}"
        );
        if let Some(path) = &path {
            assert!(specificity <= path.len(), "{item_url:?} is more specific than git's path {path:?}");
        }
        candidates.push((i, specificity));
    }
    check_choice(candidates, target.has_path());
}

fn check_choice(candidates: Vec<(usize, usize)>, with_path: bool) {
    let best = candidates.iter().map(|c| c.1).max();
    let expected: Vec<usize> =
        candidates.iter().filter(|c| !with_path || Some(c.1) == best).map(|c| c.0).collect();
    match choose(candidates, with_path) {
        Choice::None => assert!(expected.is_empty()),
        Choice::One(one) => assert_eq!(vec![one], expected),
        Choice::Ambiguous(several) => {
            assert!(several.len() > 1);
            assert_eq!(several, expected);
        }
    }
}

fn check_answer(username: &str, password: &str) {
    let mut written = Vec::new();
    let result = write_answer(&mut written, username, password);
    // What git cannot take whole: a line feed ends the value, a NUL ends it as a C string, a
    // carriage return is cut before the line feed (`git_reads`), and anywhere else git (since
    // CVE-2024-52006) dies rather than pass it on to its helpers' `store`.
    let sayable = ![username, password].iter().any(|v| v.contains(['\n', '\r', '\0']));
    assert_eq!(result.is_ok(), sayable, "user name {username:?}, password {password:?}: {result:?}");
    if result.is_err() {
        assert!(written.is_empty(), "a refused answer was written in part");
        return;
    }
    let read = read_request(&written[..]).expect("hush reads its own answer");
    assert_eq!(read.username.as_deref(), Some(username).filter(|u| !u.is_empty()));
    assert_eq!(read.password.as_ref().map(|p| p.as_str()), Some(password).filter(|p| !p.is_empty()));
    let (git_username, git_password) = git_reads(&written).expect("git reads the answer");
    assert_eq!(
        git_username,
        Some(username.as_bytes()).filter(|u| !u.is_empty()),
        "git reads another user name"
    );
    assert_eq!(
        git_password,
        Some(password.as_bytes()).filter(|p| !p.is_empty()),
        "git reads another password"
    );
}

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = read_request(data) {
        check_request(&request);
        let text = String::from_utf8_lossy(data);
        let mut parts = text.splitn(3, "\n\n").skip(1);
        let urls: Vec<&str> = parts.next().map(|urls| urls.lines().collect()).unwrap_or_default();
        check_target(&request, &urls);
        if let Some((username, password)) = parts.next().and_then(|answer| answer.split_once(':')) {
            check_answer(username, password);
        }
    }

    // Any candidates: each byte one, its specificity the byte's low bits (so that ties are
    // common); the first byte's low bit says whether git sent a path.
    let candidates = data.iter().skip(1).enumerate().map(|(i, &b)| (i, usize::from(b & 3))).collect();
    check_choice(candidates, data.first().is_some_and(|b| b & 1 == 1));
});

//! Which site a URL belongs to: its *registrable domain* (the public suffix plus one label,
//! "eTLD+1"), from Mozilla's Public Suffix List compiled into the `psl` crate. `hush get
//! https://github.com/login` finds the item saved for `github.com`, and the breach list (issue
//! #14) can ask the same question of a breached site's domain.

use std::net::IpAddr;

use crate::host_of;

/// The registrable domain of a URL or host name, lower case: `https://login.github.com/x` →
/// `github.com`, `www.bbc.co.uk` → `bbc.co.uk`, and `alice.github.io` → `alice.github.io`
/// (`github.io` is a public suffix: each of its subdomains is a site of its own).
///
/// A host with no registrable domain is its own site: an IP address, `localhost`, or a name
/// under a suffix alone. `None` when `url` has no host at all.
pub fn registrable_domain(url: &str) -> Option<String> {
    let host = host_of(url)?;
    let host = host.trim_end_matches('.');
    if host.is_empty() {
        return None;
    }
    // An IP address has no suffix; the list would take "1.1" of 192.168.1.1 for a domain.
    if host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok() {
        return Some(host.to_owned());
    }
    Some(psl::domain_str(host).unwrap_or(host).to_owned())
}

/// Whether two URLs or host names belong to the same site ([`registrable_domain`]).
pub fn same_site(a: &str, b: &str) -> bool {
    match (registrable_domain(a), registrable_domain(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains_follow_the_public_suffix_list() {
        for (url, site) in [
            ("https://github.com/login", "github.com"),
            ("https://www.GitHub.com/", "github.com"),
            ("login.github.com", "github.com"),
            ("https://accounts.google.co.uk/signin?x=1", "google.co.uk"),
            ("https://alice.github.io/page", "alice.github.io"),
            ("http://192.168.1.1:8080/admin", "192.168.1.1"),
            ("http://[::1]/", "[::1]"),
            ("http://localhost:3000", "localhost"),
            ("android://com.example.app", "example.app"),
            // Issue #14: a breach of plex.tv exposes the login saved for its web app.
            ("https://app.plex.tv/desktop", "plex.tv"),
            ("https://WWW.Plex.TV/", "plex.tv"),
            ("login.example.com.", "example.com"),
            ("https://bücher.example/", "xn--bcher-kva.example"),
        ] {
            assert_eq!(registrable_domain(url).as_deref(), Some(site), "{url}");
        }
        assert_eq!(registrable_domain(""), None);
        assert!(same_site("https://mail.google.com/", "google.com"));
        assert!(!same_site("https://alice.github.io/", "https://bob.github.io/"));
        assert!(!same_site("github.com", "gitlab.com"));
        assert!(!same_site("plex.tv", "plex.tv.evil.example"));
    }
}

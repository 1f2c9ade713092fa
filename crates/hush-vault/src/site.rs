//! Which *site* a URL belongs to: its registrable domain (a public suffix plus one label, "eTLD+1")
//! from Mozilla's Public Suffix List, compiled into the `psl` crate. `https://app.plex.tv/desktop`
//! is on `plex.tv`, `www.bbc.co.uk` on `bbc.co.uk`, while `alice.github.io` is a site of its own
//! because `github.io` is a public suffix. The breach list of `hush audit --breaches` names sites
//! this way (issue #14; docs/audit-and-breach.md, "Breached sites").
//!
//! (Issue #14 and the `first-hour-items` work each need this function; whichever lands second
//! keeps one of the two, the signatures are the same.)

use std::net::IpAddr;

use crate::host_of;

/// The registrable domain of a URL, a bare domain or a host name, in lower case (IDNs in their
/// `xn--` form, as URLs carry them).
///
/// A host that has no registrable domain is its own site: an IP address (the list would take
/// `1.1` of `192.168.1.1` for a domain), `localhost`, or a public suffix alone. `None` when
/// `url` has no host at all.
pub fn registrable_domain(url: &str) -> Option<String> {
    let host = host_of(url)?;
    // A fully qualified name may end in a dot; it is the same site without it.
    let host = host.trim_end_matches('.');
    if host.is_empty() {
        return None;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() {
        return Some(host.to_owned());
    }
    Some(psl::domain_str(host).unwrap_or(host).to_owned())
}

/// Whether two URLs or host names are on the same site ([`registrable_domain`]).
pub fn same_site(a: &str, b: &str) -> bool {
    matches!((registrable_domain(a), registrable_domain(b)), (Some(a), Some(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_follow_the_public_suffix_list() {
        for (url, site) in [
            ("https://app.plex.tv/desktop", "plex.tv"),
            ("plex.tv", "plex.tv"),
            ("https://WWW.Plex.TV/", "plex.tv"),
            ("https://accounts.google.co.uk/signin?x=1", "google.co.uk"),
            ("https://alice.github.io/page", "alice.github.io"),
            ("login.example.com.", "example.com"),
            ("http://192.168.1.1:8080/admin", "192.168.1.1"),
            ("http://[::1]/", "[::1]"),
            ("http://localhost:3000", "localhost"),
            ("https://bücher.example/", "xn--bcher-kva.example"),
        ] {
            assert_eq!(registrable_domain(url).as_deref(), Some(site), "{url}");
        }
        assert_eq!(registrable_domain(""), None);
        assert!(same_site("https://app.plex.tv/", "plex.tv"));
        assert!(!same_site("https://alice.github.io/", "https://bob.github.io/"));
        assert!(!same_site("plex.tv", "plex.tv.evil.example"));
    }
}

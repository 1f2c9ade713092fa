//! Realistic items for the benchmarks and the bench-only examples (shared with
//! `examples/make_vault.rs` and hush-sync's `examples/sync_bench.rs` by `#[path]`).
//!
//! Deterministic: item `i` always gets the same name, user name, URL and notes, so a
//! benchmark can look an item up by name. Passwords come from a small xorshift
//! generator seeded by `i` (random-looking, 20 characters; their strength does not
//! matter for timing).
#![allow(dead_code)]

use hush_vault::{Item, ItemKind};

const SITES: [&str; 16] = [
    "github", "gitlab", "amazon", "google", "proton", "netflix", "paypal", "ebay", "reddit", "twitter",
    "linkedin", "dropbox", "spotify", "steam", "plex", "mozilla",
];

const NOTES: [&str; 4] = [
    "Recovery codes are in the safe.",
    "Shared with the family account; ask before changing.",
    "Security question: first pet = Rex.",
    "",
];

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&*+-=?@^_";

/// The name of item `i`: `github-004217`. The 6-digit number makes it unique, so the
/// number alone is a substring that matches exactly one item.
pub(crate) fn name(i: usize) -> String {
    format!("{}-{i:06}", SITES[i % SITES.len()])
}

/// A 20-character password, different for every `i`.
pub(crate) fn password(i: usize) -> String {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

/// Item `i`: a login with a name, user name, one URL, a 20-character password and
/// short notes (empty for a quarter of them), as a password manager typically holds.
pub(crate) fn item(i: usize, now: i64) -> Item {
    let site = SITES[i % SITES.len()];
    let mut it = Item::new(ItemKind::Login, name(i), now);
    it.username = format!("user{i:06}@example.com");
    it.password = password(i);
    it.urls = vec![format!("https://login.{site}{i:06}.example.com/signin")];
    it.notes = NOTES[i % NOTES.len()].to_owned();
    if i.is_multiple_of(5) {
        it.tags = vec!["work".to_owned()];
    }
    it
}

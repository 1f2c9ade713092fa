//! The manifest payload (docs/spec/crypto-v2.md, "Manifest: a chained head that names every
//! writer"): the structure every pull brings, decoded after the manifest authenticates and
//! then checked against the head the device holds.
//!
//! Properties: a payload that decodes obeys the spec's structural rules and encodes back to
//! the same bytes (so its chain hash, computed over the encoding, is the one its author
//! computed); a head is its own successor (the same head again is "nothing new", rule 2); and
//! the payload sealed under the vault key opens back to itself.
#![no_main]

use hush_crypto::{Head, MAX_WRITERS, Manifest, ManifestPayload, OpenedManifest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = ManifestPayload::decode(data) else { return };
    assert_eq!(payload.encode(), data, "a payload encodes back differently");
    assert!(payload.counter > 0 && !payload.writers.is_empty() && payload.writers.len() <= MAX_WRITERS);
    assert!(payload.writers.windows(2).all(|w| w[0].device < w[1].device));
    let authors: Vec<_> = payload.writers.iter().filter(|w| w.counter == payload.counter).collect();
    assert!(authors.len() == 1 && authors[0].digest == payload.digest);

    let head = Head::of_push(1, &payload);
    let opened = OpenedManifest::V2(payload.clone());
    assert_eq!(Head::of(1, &opened), head);
    head.check_successor(1, 1, &opened).expect("a head extends itself");

    let fixture = &*hush_fuzz::VAULT;
    let version = fixture.ring.current_version();
    let sealed = Manifest::seal(fixture.ring.current(), &fixture.account_id(), version, &payload);
    let (key_version, reopened) =
        Manifest::open(&fixture.ring, &fixture.account_id(), &sealed).expect("a sealed manifest opens");
    assert_eq!((key_version, reopened), (version, opened));
});

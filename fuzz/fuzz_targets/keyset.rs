//! The keyset as the server hands it to every device (`GET /v2/vault`, prelogin), and the key
//! ring inside it (docs/spec/crypto-v2.md, "Keyset"): the clear header read before the keyset
//! can be opened, and the ring's layout read after.
//!
//! Properties: the server's reading of the clear header (hush-core's `KeysetHeader`, which
//! decides what a rekey may store) and the client's (hush-crypto's `SealedBox`) agree on every
//! input, so the two sides can never disagree about an epoch; a ring that decodes encodes back
//! to the same bytes and obeys the spec's rules (1 to 1024 keys, versions strictly decreasing
//! and never 0).
#![no_main]

use hush_core::KeysetHeader;
use hush_crypto::{KeyRing, Keyset, MAX_RING_KEYS, SealedBox};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let server = KeysetHeader::parse(data).map(|h| (h.format, h.key_version));
    let client = SealedBox::parse(data).ok().map(|b| (b.format, b.key_version));
    assert_eq!(server, client, "server and client read the keyset's header differently");
    let keyset = Keyset(data.to_vec());
    assert_eq!(keyset.key_version().ok(), client.map(|(_, v)| v));

    let Ok(ring) = KeyRing::decode(data) else { return };
    assert_eq!(&ring.encode()[..], data, "a key ring encodes back differently");
    let versions: Vec<u32> = ring.versions().collect();
    assert!(!versions.is_empty() && versions.len() <= MAX_RING_KEYS);
    assert!(versions.windows(2).all(|w| w[0] > w[1]) && versions.iter().all(|&v| v > 0));
    assert_eq!(versions[0], ring.current_version());
    for &version in &versions {
        assert!(ring.get(version).is_some());
        let older = ring.as_of(version).expect("a ring as of one of its versions");
        assert_eq!(older.current_version(), version);
    }
});

//! The sealed local state of `vault.hush` and the search index inside it
//! (crates/hush-vault/src/local_state.rs and index/table.rs), in every state version: the
//! input is the state's plaintext, sealed here under the fixture vault's key and put in an
//! otherwise empty vault file, then opened the two ways hush opens a vault: the read-only view
//! (`hush get`, which reads the index in place and then one blob) and the full open.
//!
//! The plaintext is authenticated in real use, so only hush itself can write it; the parser
//! still bounds-checks every offset "against our own bugs and a future writer"
//! (index/table.rs), and this target holds it to that. Property: every entry the view lists is
//! found again by its id, and reading its item fails cleanly (the file holds no blobs).
#![no_main]

use hush_crypto::seal_local;
use hush_vault::local_state::STATE_LABEL;
use hush_vault::{ItemLookup, Matches, SearchFields, Vault, VaultFile, VaultView};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fixture = &*hush_fuzz::VAULT;
    let state = seal_local(fixture.ring.current(), STATE_LABEL, &fixture.account_id(), data);
    let file = VaultFile { header: fixture.header.clone(), items: Vec::new(), state };
    let _ = Vault::open(&file, fixture.ring.clone());
    let Ok(view) = VaultView::open(file.to_bytes(), fixture.ring.clone()) else { return };
    let _ = view.state();
    let ids: Vec<_> = view.entries().map(|entry| entry.item_id()).collect();
    for id in &ids {
        let entry = view.entry(id).expect("a listed entry is found by its id");
        assert_eq!(entry.item_id(), *id);
        assert!(view.item(id).is_err(), "an item was read from a file without blobs");
    }
    let _ = view.search("a");
    if let Some(first) = ids.first() {
        let found = view.find(&first.to_string());
        assert!(matches!(found, Matches::One(id) if id == *first), "an id does not find its entry");
    }
});

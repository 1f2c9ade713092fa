//! The item plaintext codec (docs/vault-format.md, "Items" and "Item format versions"): a
//! format-version byte and bincode, decoded after an item blob authenticates. Format 2 is what
//! hush writes; format 1 (before the trash) is still read. Only the account's own devices can
//! make such a plaintext, so this guards against our own bugs and other versions of hush rather
//! than the server; it is still a parser of bytes from other devices, and the vault opens every
//! item with it.
//!
//! The input is sealed as an item blob under the fixture vault's key and opened with the public
//! `hush_vault::decrypt_item`, so that the target reads plaintexts exactly as the vault does,
//! both format versions included.
//!
//! Properties: a format-2 plaintext that decodes re-encodes to the same bytes; a format-1 one
//! reads as an item not in the trash; the item seals, opens, indexes and size-checks without
//! panicking (hush_fuzz::check_item).
#![no_main]

use hush_crypto::{ItemBlob, ItemId};
use hush_vault::{ITEM_VERSION, encoding};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fixture = &*hush_fuzz::VAULT;
    let (account, id) = (fixture.account_id(), ItemId([7; 16]));
    let ring = &fixture.ring;
    let blob = ItemBlob::seal(ring.current(), &account, &id, ring.current_version(), data);
    let Ok(item) = hush_vault::decrypt_item(ring, &account, &id, &blob) else { return };
    match data.first() {
        Some(&ITEM_VERSION) => {
            assert_eq!(&encoding::encode(ITEM_VERSION, &item)[..], data, "an item encodes back differently")
        }
        Some(1) => assert!(item.trashed.is_none(), "a format-1 item (no trash) read as trashed"),
        other => panic!("a plaintext of unknown format {other:?} decoded"),
    }
    hush_fuzz::check_item(&item);
    if let Some(uri) = &item.totp {
        // `hush totp` parses what is stored; another device may have stored anything.
        let _ = hush_totp::Totp::parse(uri);
    }
});

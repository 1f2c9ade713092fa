//! The item plaintext codec (docs/vault-format.md, "Items"): a format-version byte and bincode,
//! decoded after an item blob authenticates. Only the account's own devices can make such a
//! plaintext, so this guards against our own bugs and future writers rather than the server;
//! it is still a parser of bytes from other devices, and the vault opens every item with it.
//!
//! Properties: a plaintext that decodes re-encodes to the same bytes, and the item it holds
//! seals, opens, indexes and size-checks without panicking (hush_fuzz::check_item).
#![no_main]

use hush_vault::encoding::{self, MAX_PLAINTEXT};
use hush_vault::{ITEM_VERSION, Item};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(item) = encoding::decode::<Item>(ITEM_VERSION, data, MAX_PLAINTEXT) else { return };
    assert_eq!(&encoding::encode(ITEM_VERSION, &item)[..], data, "an item encodes back differently");
    hush_fuzz::check_item(&item);
    if let Some(uri) = &item.totp {
        // `hush totp` parses what is stored; another device may have stored anything.
        let _ = hush_totp::Totp::parse(uri);
    }
});

//! One decrypted entry of a pass password store (`hush import --from pass`;
//! crates/hush-import/src/pass.rs): the entry's path and the text gpg gave back, split at the
//! first NUL byte of the input. Walking the folder and running gpg are not fuzzed (the
//! end-to-end tests use the real tools). Properties: the item passes `hush_fuzz::check_item`,
//! and an accepted TOTP secret parses.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (name, text) = text.split_once('\0').unwrap_or(("site/user", text));
    let (item, warnings) = hush_import::pass::parse_entry(name, text, hush_fuzz::NOW);
    let import = hush_import::Import { items: vec![item], warnings };
    hush_fuzz::check_import(Ok(import));
});

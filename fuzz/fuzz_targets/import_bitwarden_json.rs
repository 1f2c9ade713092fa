//! Bitwarden's unencrypted JSON export (`hush import --from bitwarden-json`;
//! crates/hush-import/src/bitwarden.rs): a file from another program, so anything at all.
//! Properties: see `hush_fuzz::check_import`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hush_fuzz::check_import(hush_import::bitwarden::parse_json(data, hush_fuzz::NOW));
});

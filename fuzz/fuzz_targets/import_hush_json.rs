//! hush's own plaintext JSON export (`hush import --from hush-json`;
//! crates/hush-import/src/hush_json.rs). Properties: those of `hush_fuzz::check_import`, and
//! that what it imports exports and imports again to the same items (a round trip through
//! hush's own format loses nothing).
#![no_main]

use hush_import::hush_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = hush_json::parse_json(data, hush_fuzz::NOW);
    if let Ok(import) = &parsed {
        let exported = hush_json::write_json(&import.items, hush_fuzz::NOW);
        let again = hush_json::parse_json(&exported, hush_fuzz::NOW).expect("an export imports");
        assert_eq!(again.items.len(), import.items.len());
        for (a, b) in again.items.iter().zip(&import.items) {
            assert!(a == b, "an item changed through an export and import");
        }
    }
    hush_fuzz::check_import(parsed);
});

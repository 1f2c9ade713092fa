//! `vault.hush` and encrypted backups (`hush import --from hush`) as the parser meets them
//! before any key: a damaged or hostile file must be refused, never panic, and never make it
//! allocate more than the file holds (crates/hush-vault/src/vault_file.rs).
//!
//! Properties: whatever parses whole also parses as the prefixes the read-only commands read,
//! with the same header; and it writes back byte for byte (format 2), or as a format-2 file
//! with the same contents (format 1).
#![no_main]

use hush_vault::vault_file::{FORMAT_VERSION, RawFile, ViewPrefix};
use hush_vault::{LockedView, VaultFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    let prefix = ViewPrefix::read(&mut &data[..], len);
    let raw = RawFile::read_prefix(&mut &data[..], len);
    let view = LockedView::from_bytes(data.to_vec());
    let Ok(file) = VaultFile::from_bytes(data) else { return };
    assert_eq!(prefix.expect("the prefix of a whole file").header, file.header);
    assert_eq!(view.expect("the view of a whole file").header(), &file.header);
    let raw = raw.expect("the table of a whole file");
    assert_eq!(raw.items.len(), file.items.len());
    for ((id, range), (file_id, blob)) in raw.items.iter().zip(&file.items) {
        assert_eq!(id, file_id);
        assert_eq!(range.end - range.start, blob.len() as u64);
    }
    let written = file.to_bytes();
    if data[8..10] == FORMAT_VERSION.to_le_bytes() {
        assert_eq!(written, data, "a format-2 file writes back differently");
    }
    assert_eq!(VaultFile::from_bytes(&written).expect("a written file parses"), file);
});

//! The cleartext header of `vault.hush` (`FileHeader`, bincode with a size limit), decoded
//! before any key exists. The file's checksum keeps a fuzzer that mutates whole files away
//! from this decoder (format 1 has none, so it is reachable), so it gets a target of its own.
//!
//! Properties: a header that decodes encodes back to the same bytes (the encoding is
//! canonical, so two files can never mean the same header), and what the unlock path reads of
//! it (KDF parameters and their floor and ceiling, the keyset's clear header) never panics.
//! The KDF itself is not run: the parameters are attacker-chosen until the keyset opens.
#![no_main]

use hush_crypto::FloorPolicy;
use hush_vault::FileHeader;
use hush_vault::encoding;
use libfuzzer_sys::fuzz_target;

/// `vault_file.rs`'s bound on a header.
const MAX_HEADER: u64 = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = encoding::decode_raw::<FileHeader>(data, MAX_HEADER) else { return };
    assert_eq!(&encoding::encode_raw(&header)[..], data, "a header encodes back differently");
    let params = header.params();
    let enforced = params.check(FloorPolicy::Enforce);
    let allowed = params.check(FloorPolicy::AllowInsecure);
    assert!(enforced.is_err() || allowed.is_ok(), "the floor is stricter than no floor");
    let ctx = header.keyset_context();
    assert_eq!(ctx.key_version, header.key_version);
    let keyset = header.keyset();
    let _ = (keyset.key_version(), keyset.format());
});

//! Versioned, bounded serialisation of item plaintexts and the vault file's sealed
//! sync state.
//!
//! The encoding is one format-version byte followed by bincode 1.3.3 with fixed-width
//! little-endian integers. bincode is flagged unmaintained (RUSTSEC-2025-0141); its
//! authors call 1.3.3 complete and still fix CVEs in it, and it is only ever given
//! authenticated plaintext (after AEAD decryption) with a size limit, so a hostile
//! input cannot reach it. The version byte makes a later change of serializer a
//! migration, not a break (docs/vault-format.md).

use bincode::Options;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::VaultError;

/// The largest plaintext hush decodes: the server's blob limit is 256 KiB.
pub const MAX_PLAINTEXT: u64 = 256 * 1024;

fn options(limit: u64) -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .with_limit(limit)
        .reject_trailing_bytes()
}

/// `version || bincode(value)`.
pub fn encode<T: Serialize>(version: u8, value: &T) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![version]);
    // Serialising plain data structures into a Vec cannot fail except past the
    // limit, and nothing hush writes comes near u64::MAX.
    options(u64::MAX).serialize_into(&mut *out, value).expect("serialising to memory");
    out
}

/// bincode without a version byte, for records inside a versioned container
/// (the vault file's header).
pub fn encode_raw<T: Serialize>(value: &T) -> Vec<u8> {
    options(u64::MAX).serialize(value).expect("serialising to memory")
}

/// Decodes what [`encode_raw`] wrote, refusing inputs above `limit`.
pub fn decode_raw<T: DeserializeOwned>(bytes: &[u8], limit: u64) -> Result<T, bincode::Error> {
    options(limit).deserialize(bytes)
}

/// Decodes what [`encode`] wrote, refusing other versions and inputs above `limit`.
pub fn decode<T: DeserializeOwned>(version: u8, bytes: &[u8], limit: u64) -> Result<T, VaultError> {
    match bytes.split_first() {
        Some((&v, rest)) if v == version => {
            options(limit).deserialize(rest).map_err(|e| VaultError::Corrupt(format!("cannot decode: {e}")))
        }
        Some((&v, _)) => Err(VaultError::UnsupportedVersion(v)),
        None => Err(VaultError::Corrupt("empty record".into())),
    }
}

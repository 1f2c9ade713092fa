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
    let mut out = zeroizing_buffer(1, value);
    out.push(version);
    // Serialising plain data structures into a Vec cannot fail except past the
    // limit, and nothing hush writes comes near u64::MAX.
    options(u64::MAX).serialize_into(&mut *out, value).expect("serialising to memory");
    out
}

/// bincode without a version byte, for records inside a versioned container
/// (the vault file's header, the sealed sync state). The state holds the session
/// token, so the result is wiped on drop like [`encode`]'s.
pub fn encode_raw<T: Serialize>(value: &T) -> Zeroizing<Vec<u8>> {
    let mut out = zeroizing_buffer(0, value);
    options(u64::MAX).serialize_into(&mut *out, value).expect("serialising to memory");
    out
}

/// An empty buffer with room for `prefix` bytes and `value`'s encoding, exactly.
///
/// Sizing it first matters: a Vec that grows while bincode writes into it moves its
/// contents to a larger allocation and frees the old one unwiped, which would leave
/// copies of the plaintext (passwords, the session token) in freed memory.
fn zeroizing_buffer<T: Serialize>(prefix: usize, value: &T) -> Zeroizing<Vec<u8>> {
    let size = options(u64::MAX).serialized_size(value).expect("sizing in memory");
    let size = usize::try_from(size).expect("encoding fits in memory");
    Zeroizing::new(Vec::with_capacity(prefix + size))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_buffers_are_sized_before_writing() {
        // A buffer that never grew was never copied, so no unwiped copy of the
        // plaintext was left behind in freed memory.
        let value = (42_u64, "a password".to_owned(), vec![Some(true), None]);
        let plain = encode(3, &value);
        assert_eq!(plain.capacity(), plain.len());
        assert_eq!(decode::<(u64, String, Vec<Option<bool>>)>(3, &plain, MAX_PLAINTEXT).unwrap(), value);
        let raw = encode_raw(&value);
        assert_eq!(raw.capacity(), raw.len());
        assert_eq!(&raw[..], &plain[1..]);
        assert_eq!(decode_raw::<(u64, String, Vec<Option<bool>>)>(&raw, MAX_PLAINTEXT).unwrap(), value);
    }
}

//! Checks on request values that serde's types cannot express.
//!
//! The server cannot decrypt anything, so it checks only shapes: sizes, the few header bytes the
//! crypto spec puts in the clear, and that keys are usable. Everything here runs before the
//! store is touched, so bad input changes nothing.

use std::collections::HashSet;

use ed25519_dalek::VerifyingKey;
use hush_core::KeysetHeader;
use hush_proto::{B64, KdfParams, PushedItem, SALT_LEN};

use crate::error::ApiError;
use crate::store::AccountKeys;

/// Largest keyset or manifest accepted: 64 KiB. A version-2 keyset holds up to 1024 keys (36
/// bytes each) and a version-2 manifest names up to 1000 writers (64 bytes each)
/// (`crypto-v2.md`, "Keyset" and "Manifest"); both fit with room to spare, and nobody can park
/// megabytes in the accounts table. This is all the server keeps for an account's chain.
pub(crate) const MAX_KEY_MATERIAL_BYTES: usize = 64 * 1024;

fn bad(message: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::BadRequest(message.into())
}

/// KDF parameters must be ones Argon2id accepts. The crypto spec's floor (m ≥ 64 MiB, t ≥ 3) is
/// *not* enforced here: clients enforce it, and a client may deliberately go below it for tests
/// (`docs/spec/crypto-v2.md`, "Key derivation"). The server only refuses values no client could use.
pub(crate) fn kdf(params: &KdfParams) -> Result<(), ApiError> {
    if params.t == 0 {
        return Err(bad("kdf.t must be at least 1"));
    }
    // Argon2's own bounds: 1 ≤ p ≤ 2^24 - 1, m ≥ 8·p KiB.
    if params.p == 0 || params.p > 0x00FF_FFFF {
        return Err(bad("kdf.p must be between 1 and 16777215"));
    }
    if u64::from(params.m_kib) < 8 * u64::from(params.p) {
        return Err(bad("kdf.m_kib must be at least 8 × kdf.p"));
    }
    if params.salt.len() != SALT_LEN {
        return Err(bad("kdf.salt must be 16 bytes"));
    }
    Ok(())
}

/// Checks a keyset's size and clear header and returns the key version (epoch) it declares
/// (`keyset = format || u32le(key_version) || nonce || XSeal(...)`, `crypto-v2.md`, "Keyset").
pub(crate) fn keyset(keyset: &B64) -> Result<u32, ApiError> {
    let bytes = keyset.as_bytes();
    if bytes.len() > MAX_KEY_MATERIAL_BYTES {
        return Err(ApiError::TooLarge("keyset exceeds 65536 bytes".into()));
    }
    // The header is read by the same code the client uses (hush-core), so the two cannot
    // disagree on where the epoch is.
    KeysetHeader::parse(bytes)
        .map(|header| header.key_version)
        .ok_or_else(|| bad("keyset: unsupported format version, or too short to hold a sealed key"))
}

/// Checks a manifest's size. Its content is sealed; only the client can verify it.
pub(crate) fn manifest(manifest: &B64) -> Result<(), ApiError> {
    if manifest.len() > MAX_KEY_MATERIAL_BYTES {
        return Err(ApiError::TooLarge("manifest exceeds 65536 bytes".into()));
    }
    if manifest.is_empty() {
        return Err(bad("manifest is empty"));
    }
    Ok(())
}

/// An auth public key must be a valid, not small-order Ed25519 point: `verify_strict` refuses
/// every signature under a weak key, so accepting one would create an account nobody can log
/// in to.
pub(crate) fn auth_public_key(key: &[u8; 32]) -> Result<(), ApiError> {
    match VerifyingKey::from_bytes(key) {
        Ok(key) if !key.is_weak() => Ok(()),
        _ => Err(bad("auth_public_key is not a usable Ed25519 public key")),
    }
}

/// Checks the key material a registration or a rekey supplies and returns it as stored.
///
/// Both routes take the same three fields (`docs/spec/sync-api-v2.md`, "Accounts" and "Vault"), so they
/// must be checked the same way: one function keeps a rule added for one route from being
/// missed by the other. The key version is read from the keyset's clear header, so it always
/// matches the keyset stored beside it. The checks run in a fixed order (KDF, keyset, public
/// key), so a request with several faults always gets the same answer.
pub(crate) fn account_keys(
    kdf: KdfParams,
    auth_public_key: [u8; 32],
    keyset: B64,
) -> Result<AccountKeys, ApiError> {
    self::kdf(&kdf)?;
    let key_version = self::keyset(&keyset)?;
    self::auth_public_key(&auth_public_key)?;
    Ok(AccountKeys { kdf, auth_public_key, keyset: keyset.into_bytes(), key_version })
}

/// Items of a push: each blob non-empty and at most `max_blob_bytes`, each id at most once (two
/// blobs for one id in one push have no meaningful order).
pub(crate) fn pushed_items(items: &[PushedItem], max_blob_bytes: usize) -> Result<(), ApiError> {
    let mut seen = HashSet::with_capacity(items.len());
    for item in items {
        if item.blob.len() > max_blob_bytes {
            return Err(ApiError::TooLarge(
                format!("item {} exceeds the blob limit of {max_blob_bytes} bytes", item.id).into(),
            ));
        }
        if item.blob.is_empty() {
            return Err(bad(format!("item {} has an empty blob", item.id)));
        }
        if !seen.insert(item.id) {
            return Err(bad(format!("item {} appears twice", item.id)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use hush_proto::ItemId;

    use super::*;

    fn params(m_kib: u32, t: u32, p: u32, salt_len: usize) -> KdfParams {
        KdfParams { m_kib, t, p, salt: B64(vec![0; salt_len]) }
    }

    #[test]
    fn kdf_bounds() {
        assert!(kdf(&params(262_144, 3, 4, 16)).is_ok());
        assert!(kdf(&params(8, 1, 1, 16)).is_ok(), "below the floor is the client's call");
        assert!(kdf(&params(65_536, 0, 1, 16)).is_err());
        assert!(kdf(&params(65_536, 3, 0, 16)).is_err());
        assert!(kdf(&params(7, 3, 1, 16)).is_err());
        assert!(kdf(&params(65_536, 3, 1, 15)).is_err());
        assert!(kdf(&params(u32::MAX, 3, 0x0100_0000, 16)).is_err());
    }

    #[test]
    fn keyset_header() {
        // format, key version, nonce (24), at least a tag (16).
        let sealed = |format: u8, version: u8, len: usize| {
            let mut bytes = vec![format, version, 0, 0, 0];
            bytes.resize(len, 9);
            B64(bytes)
        };
        assert_eq!(keyset(&sealed(1, 7, 45)).ok(), Some(7));
        assert_eq!(keyset(&sealed(2, 8, 200)).ok(), Some(8));
        assert!(keyset(&sealed(3, 7, 200)).is_err());
        assert!(keyset(&sealed(0, 7, 200)).is_err());
        assert!(keyset(&sealed(1, 7, 44)).is_err(), "too short for a nonce and a tag");
        let mut big = vec![1; MAX_KEY_MATERIAL_BYTES + 1];
        big[0] = 1;
        assert!(matches!(keyset(&B64(big)), Err(ApiError::TooLarge(_))));
    }

    #[test]
    fn account_keys_checks_every_field_and_reads_the_key_version() {
        let good_key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key().to_bytes();
        let good_keyset = || {
            let mut bytes = vec![1, 9, 0, 0, 0];
            bytes.resize(45, 5);
            B64(bytes)
        };
        let keys = account_keys(params(65_536, 3, 1, 16), good_key, good_keyset()).expect("valid keys");
        assert_eq!((keys.key_version, keys.auth_public_key, keys.keyset), (9, good_key, good_keyset().0));
        assert_eq!(keys.kdf, params(65_536, 3, 1, 16));
        assert!(matches!(
            account_keys(params(65_536, 0, 1, 16), good_key, good_keyset()),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            account_keys(params(65_536, 3, 1, 16), good_key, B64(vec![3, 9, 0, 0, 0])),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            account_keys(params(65_536, 3, 1, 16), [0; 32], good_keyset()),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn weak_public_keys_are_refused() {
        // The identity point (small order).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(auth_public_key(&identity).is_err());
        let good = ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key().to_bytes();
        assert!(auth_public_key(&good).is_ok());
    }

    #[test]
    fn pushed_item_checks() {
        let item =
            |id: u8, len: usize| PushedItem { id: ItemId::from_bytes([id; 16]), blob: B64(vec![0; len]) };
        assert!(pushed_items(&[item(1, 10), item(2, 10)], 10).is_ok());
        assert!(matches!(pushed_items(&[item(1, 11)], 10), Err(ApiError::TooLarge(_))));
        assert!(matches!(pushed_items(&[item(1, 0)], 10), Err(ApiError::BadRequest(_))));
        assert!(matches!(pushed_items(&[item(1, 1), item(1, 2)], 10), Err(ApiError::BadRequest(_))));
    }
}

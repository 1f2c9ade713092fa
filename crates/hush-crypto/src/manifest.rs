//! The manifest: set integrity and freshness of the whole vault (spec: "Manifest").

use sha2::{Digest, Sha256};

use crate::{AccountId, DecryptError, ItemId, VaultKey, aead};

/// SHA-256 over every item of the account, tombstones included, sorted by id:
/// `SHA-256( for each item by id: item_id || SHA-256(item_blob) )`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ManifestDigest(pub [u8; 32]);

impl ManifestDigest {
    /// Computes the digest from `(id, SHA-256(blob))` pairs in any order.
    pub fn from_blob_hashes<I>(entries: I) -> Self
    where
        I: IntoIterator<Item = (ItemId, [u8; 32])>,
    {
        let mut entries: Vec<_> = entries.into_iter().collect();
        entries.sort_unstable_by_key(|e| e.0);
        let mut h = Sha256::new();
        for (id, blob_hash) in &entries {
            h.update(id.as_bytes());
            h.update(blob_hash);
        }
        Self(h.finalize().into())
    }

    /// Computes the digest from `(id, blob)` pairs in any order.
    pub fn from_blobs<'a, I>(entries: I) -> Self
    where
        I: IntoIterator<Item = (ItemId, &'a [u8])>,
    {
        Self::from_blob_hashes(entries.into_iter().map(|(id, blob)| (id, blob_hash(blob))))
    }
}

/// SHA-256 of one blob, as it enters the digest.
pub fn blob_hash(blob: &[u8]) -> [u8; 32] {
    Sha256::digest(blob).into()
}

/// What a manifest says: the push counter and the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManifestPayload {
    /// Grows by one with every accepted push; a lower one than seen is a rollback.
    pub counter: u64,
    /// The digest of the item set after that push.
    pub digest: ManifestDigest,
}

/// A sealed manifest: `0x01 || u32le(key_version) || nonce || XSeal(VK, nonce, u64le(counter) || digest, manifest_aad)`.
pub struct Manifest;

impl Manifest {
    /// `"hush/v1/manifest" || account_id || u32le(key_version)`.
    pub fn aad(account_id: &AccountId, key_version: u32) -> Vec<u8> {
        [b"hush/v1/manifest".as_slice(), account_id.as_bytes(), &key_version.to_le_bytes()].concat()
    }

    fn plain(payload: &ManifestPayload) -> [u8; 40] {
        let mut plain = [0u8; 40];
        plain[..8].copy_from_slice(&payload.counter.to_le_bytes());
        plain[8..].copy_from_slice(&payload.digest.0);
        plain
    }

    /// Seals a manifest with a fresh nonce.
    pub fn seal(
        vk: &VaultKey,
        account_id: &AccountId,
        key_version: u32,
        payload: &ManifestPayload,
    ) -> Vec<u8> {
        aead::seal(vk.expose(), key_version, &Self::plain(payload), &Self::aad(account_id, key_version))
    }

    /// Seals with a given nonce: known-answer tests only.
    #[doc(hidden)]
    pub fn seal_with_nonce(
        vk: &VaultKey,
        account_id: &AccountId,
        key_version: u32,
        payload: &ManifestPayload,
        nonce: &[u8; 24],
    ) -> Vec<u8> {
        aead::seal_with_nonce(
            vk.expose(),
            key_version,
            nonce,
            &Self::plain(payload),
            &Self::aad(account_id, key_version),
        )
    }

    /// Opens a manifest.
    pub fn open(
        vk: &VaultKey,
        account_id: &AccountId,
        key_version: u32,
        blob: &[u8],
    ) -> Result<ManifestPayload, DecryptError> {
        let plain = aead::open(vk.expose(), key_version, blob, &Self::aad(account_id, key_version))?;
        if plain.len() != 40 {
            return Err(DecryptError);
        }
        let counter = u64::from_le_bytes(plain[..8].try_into().map_err(|_| DecryptError)?);
        let digest = ManifestDigest(plain[8..].try_into().map_err(|_| DecryptError)?);
        Ok(ManifestPayload { counter, digest })
    }
}

//! Item blobs with padmé padding (docs/spec/crypto-v2.md, "Items").

use zeroize::Zeroizing;

use crate::{AccountId, DecryptError, FORMAT_V1, ItemId, KeyRing, VaultKey, aead};

/// The padmé bucket of a length: at most about 12 % overhead, and lengths leak only
/// O(log log n) bits (docs/spec/crypto-v2.md, "Items").
///
/// `padme(n) = let n = max(n, 256); e = ⌊log2 n⌋; s = ⌊log2 e⌋ + 1; mask = 2^(e−s) − 1 in (n + mask) & !mask`
pub fn padme(n: usize) -> usize {
    let n = n.max(256);
    let e = n.ilog2();
    let s = e.ilog2() + 1;
    let mask = (1usize << (e - s)) - 1;
    (n + mask) & !mask
}

/// `plain || 0x80 || 0x00 * (padme(len + 1) − len − 1)`.
pub(crate) fn pad(plain: &[u8]) -> Zeroizing<Vec<u8>> {
    let total = padme(plain.len() + 1);
    let mut out = Zeroizing::new(Vec::with_capacity(total + aead::TAG_LEN));
    out.extend_from_slice(plain);
    out.push(0x80);
    out.resize(total, 0);
    out
}

/// Removes the padding; a missing 0x80 marker can only come from a bug or a forged
/// blob that somehow authenticated, and is treated as a decryption failure.
pub(crate) fn unpad(mut padded: Zeroizing<Vec<u8>>) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    let end = padded.iter().rposition(|&b| b != 0).ok_or(DecryptError)?;
    if padded[end] != 0x80 {
        return Err(DecryptError);
    }
    padded.truncate(end);
    Ok(padded)
}

/// An encrypted item: `0x01 || u32le(key_version) || nonce || XSeal(VK, nonce, padded, item_aad)`.
///
/// Everything about the item is inside the plaintext; the server sees only the id and
/// a blob whose length is a padmé bucket.
pub struct ItemBlob;

impl ItemBlob {
    /// `"hush/v1/item" || account_id || item_id || u32le(key_version)`.
    pub fn aad(account_id: &AccountId, item_id: &ItemId, key_version: u32) -> Vec<u8> {
        [b"hush/v1/item".as_slice(), account_id.as_bytes(), item_id.as_bytes(), &key_version.to_le_bytes()]
            .concat()
    }

    /// Pads and seals an item plaintext with a fresh nonce.
    pub fn seal(
        vk: &VaultKey,
        account_id: &AccountId,
        item_id: &ItemId,
        key_version: u32,
        plain: &[u8],
    ) -> Vec<u8> {
        let padded = pad(plain);
        aead::seal(FORMAT_V1, vk.expose(), key_version, &padded, &Self::aad(account_id, item_id, key_version))
    }

    /// Seals with a given nonce: known-answer tests only.
    #[doc(hidden)]
    pub fn seal_with_nonce(
        vk: &VaultKey,
        account_id: &AccountId,
        item_id: &ItemId,
        key_version: u32,
        plain: &[u8],
        nonce: &[u8; 24],
    ) -> Vec<u8> {
        let padded = pad(plain);
        aead::seal_with_nonce(
            FORMAT_V1,
            vk.expose(),
            key_version,
            nonce,
            &padded,
            &Self::aad(account_id, item_id, key_version),
        )
    }

    /// Opens and unpads an item blob. The blob must have been sealed for exactly this
    /// account, item id and key version.
    pub fn open(
        vk: &VaultKey,
        account_id: &AccountId,
        item_id: &ItemId,
        key_version: u32,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        let padded = aead::open(
            FORMAT_V1,
            vk.expose(),
            key_version,
            blob,
            &Self::aad(account_id, item_id, key_version),
        )?;
        unpad(padded)
    }

    /// The key version an item blob's header names (unauthenticated until opened).
    pub fn key_version(blob: &[u8]) -> Result<u32, DecryptError> {
        Ok(aead::SealedBox::parse(blob)?.key_version)
    }

    /// Opens an item blob with the ring's key of the version its header names
    /// (docs/spec/crypto-v2.md, "Items"): blobs sealed before a password change still open.
    pub fn open_with_ring(
        ring: &KeyRing,
        account_id: &AccountId,
        item_id: &ItemId,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        let key_version = Self::key_version(blob)?;
        let vk = ring.get(key_version).ok_or(DecryptError)?;
        Self::open(vk, account_id, item_id, key_version, blob)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_is_monotonic_and_bounded() {
        let mut last = 0;
        for n in 0..70_000 {
            let p = padme(n);
            assert!(p >= n.max(256), "padme({n}) = {p}");
            assert!(p >= last);
            // Padmé's overhead is at most about 12 %.
            assert!(p as f64 <= n.max(256) as f64 * 1.125, "padme({n}) = {p}");
            last = p;
        }
    }

    #[test]
    fn unpad_rejects_missing_marker() {
        assert_eq!(unpad(Zeroizing::new(vec![1, 2, 0, 0])).err(), Some(DecryptError));
        assert_eq!(unpad(Zeroizing::new(vec![0, 0])).err(), Some(DecryptError));
        assert_eq!(unpad(Zeroizing::new(vec![7, 0x80, 0])).unwrap().as_slice(), &[7]);
    }
}

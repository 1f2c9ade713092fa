//! The one sealed-box layout shared by keyset, item, manifest and sealed device name
//! (docs/spec/crypto-v2.md, "Notation"):
//! `format || u32le(key_version) || nonce(24) || XSeal(key, nonce, plain, aad)`.
//!
//! `format` is one byte (0x01 or 0x02); each structure's AAD starts with a label that names
//! its version, so a box of one format can never be opened as the other.

use chacha20poly1305::aead::{Aead, AeadInOut, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::{DecryptError, FORMAT_V1, FORMAT_V2};

/// Length of the XChaCha20-Poly1305 nonce.
pub(crate) const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag.
pub(crate) const TAG_LEN: usize = 16;
/// Bytes before the ciphertext: version, key version, nonce.
pub(crate) const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;

/// The parsed outer layout of a sealed structure, before authentication.
pub struct SealedBox<'a> {
    /// The format byte written in the clear (its label in the AAD names it too).
    pub format: u8,
    /// The key version written in the clear (it is also bound in the AAD).
    pub key_version: u32,
    nonce: &'a [u8],
    ciphertext: &'a [u8],
}

impl<'a> SealedBox<'a> {
    /// Splits a blob into its parts; any structural problem is a [`DecryptError`].
    pub fn parse(blob: &'a [u8]) -> Result<Self, DecryptError> {
        if blob.len() < HEADER_LEN + TAG_LEN || !matches!(blob[0], FORMAT_V1 | FORMAT_V2) {
            return Err(DecryptError);
        }
        let key_version = u32::from_le_bytes(blob[1..5].try_into().map_err(|_| DecryptError)?);
        Ok(Self {
            format: blob[0],
            key_version,
            nonce: &blob[5..HEADER_LEN],
            ciphertext: &blob[HEADER_LEN..],
        })
    }
}

/// Seals `plain` under `key` with a given nonce. Only the known-answer tests pass a
/// nonce; everything else goes through [`seal`], which draws a fresh one.
pub(crate) fn seal_with_nonce(
    format: u8,
    key: &[u8; 32],
    key_version: u32,
    nonce: &[u8; NONCE_LEN],
    plain: &[u8],
    aad: &[u8],
) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let ct = cipher
        .encrypt(&XNonce::from(*nonce), Payload { msg: plain, aad })
        // XChaCha20-Poly1305 only fails for messages above 256 GiB.
        .expect("plaintext within XChaCha20-Poly1305 limits");
    let mut out = Vec::with_capacity(HEADER_LEN + ct.len());
    out.push(format);
    out.extend_from_slice(&key_version.to_le_bytes());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&ct);
    out
}

/// Seals with 24 fresh bytes from the OS CSPRNG as the nonce (never a counter).
pub(crate) fn seal(format: u8, key: &[u8; 32], key_version: u32, plain: &[u8], aad: &[u8]) -> Vec<u8> {
    seal_with_nonce(format, key, key_version, &crate::random_array(), plain, aad)
}

/// Opens a sealed box, checking that its format and key version are the expected ones.
pub(crate) fn open(
    format: u8,
    key: &[u8; 32],
    expected_key_version: u32,
    blob: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    let sealed = SealedBox::parse(blob)?;
    if sealed.format != format || sealed.key_version != expected_key_version {
        return Err(DecryptError);
    }
    let nonce: [u8; NONCE_LEN] = sealed.nonce.try_into().map_err(|_| DecryptError)?;
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(&XNonce::from(nonce), Payload { msg: sealed.ciphertext, aad })
        .map(Zeroizing::new)
        .map_err(|_| DecryptError)
}

/// Seals local-only data (not part of spec v1, e.g. the vault file's sync state)
/// under the vault key with the same box layout.
///
/// `label` gives domain separation: it must differ from every `hush/v1/...` label of
/// the spec, so that a local box can never be passed off as an item or manifest.
pub fn seal_local(
    key: &crate::VaultKey,
    label: &[u8],
    account_id: &crate::AccountId,
    plain: &[u8],
) -> Vec<u8> {
    seal(FORMAT_V1, key.expose(), 0, plain, &local_aad(label, account_id))
}

/// Opens what [`seal_local`] sealed with the same label and account.
pub fn open_local(
    key: &crate::VaultKey,
    label: &[u8],
    account_id: &crate::AccountId,
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    open(FORMAT_V1, key.expose(), 0, blob, &local_aad(label, account_id))
}

/// Like [`open_local`], but decrypts inside `blob` instead of into a second buffer:
/// for the vault file's sealed state, which is megabytes on a large vault and is
/// opened by every read-only command (issue #4), a copy and its page faults are a
/// measurable part of `hush get`.
pub fn open_local_in_place(
    key: &crate::VaultKey,
    label: &[u8],
    account_id: &crate::AccountId,
    blob: Vec<u8>,
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    let mut blob = Zeroizing::new(blob);
    let sealed = SealedBox::parse(&blob)?;
    if sealed.format != FORMAT_V1 || sealed.key_version != 0 {
        return Err(DecryptError);
    }
    let nonce = XNonce::try_from(sealed.nonce).map_err(|_| DecryptError)?;
    // A failed open leaves `blob` partly decrypted; it is zeroized when dropped.
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let end = blob.len() - TAG_LEN;
    let (body, tag) = blob.split_at_mut(end);
    let tag = chacha20poly1305::Tag::try_from(&*tag).map_err(|_| DecryptError)?;
    cipher
        .decrypt_inout_detached(&nonce, &local_aad(label, account_id), (&mut body[HEADER_LEN..]).into(), &tag)
        .map_err(|_| DecryptError)?;
    blob.copy_within(HEADER_LEN..end, 0);
    blob.truncate(end - HEADER_LEN);
    Ok(blob)
}

fn local_aad(label: &[u8], account_id: &crate::AccountId) -> Vec<u8> {
    assert!(
        !label.starts_with(b"hush/v1/") && !label.starts_with(b"hush/v2/"),
        "local labels must not collide with spec labels"
    );
    [label, account_id.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccountId, VaultKey};

    const LABEL: &[u8] = b"hush/local/test";

    #[test]
    fn in_place_open_matches_open_and_refuses_every_change() {
        let (key, account) = (VaultKey::generate(), AccountId::random());
        let plain: Vec<u8> = (0..300u16).map(|i| i as u8).collect();
        let sealed = seal_local(&key, LABEL, &account, &plain);
        let opened = open_local_in_place(&key, LABEL, &account, sealed.clone()).unwrap();
        assert_eq!(*opened, plain);
        assert_eq!(*opened, *open_local(&key, LABEL, &account, &sealed).unwrap());
        for bit in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(open_local_in_place(&key, LABEL, &account, bad).is_err(), "bit {bit}");
        }
        for len in 0..sealed.len() {
            assert!(open_local_in_place(&key, LABEL, &account, sealed[..len].to_vec()).is_err(), "{len}");
        }
        assert!(open_local_in_place(&key, b"hush/local/other", &account, sealed.clone()).is_err());
        assert!(open_local_in_place(&key, LABEL, &AccountId::random(), sealed.clone()).is_err());
        assert!(open_local_in_place(&VaultKey::generate(), LABEL, &account, sealed).is_err());
    }
}

//! The one sealed-box layout shared by keyset, item and manifest (spec: Keyset,
//! Items, Manifest): `0x01 || u32le(key_version) || nonce(24) || XSeal(key, nonce, plain, aad)`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::{DecryptError, FORMAT_V1};

/// Length of the XChaCha20-Poly1305 nonce.
pub(crate) const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag.
pub(crate) const TAG_LEN: usize = 16;
/// Bytes before the ciphertext: version, key version, nonce.
pub(crate) const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;

/// The parsed outer layout of a sealed structure, before authentication.
pub struct SealedBox<'a> {
    /// The key version written in the clear (it is also bound in the AAD).
    pub key_version: u32,
    nonce: &'a [u8],
    ciphertext: &'a [u8],
}

impl<'a> SealedBox<'a> {
    /// Splits a blob into its parts; any structural problem is a [`DecryptError`].
    pub fn parse(blob: &'a [u8]) -> Result<Self, DecryptError> {
        if blob.len() < HEADER_LEN + TAG_LEN || blob[0] != FORMAT_V1 {
            return Err(DecryptError);
        }
        let key_version = u32::from_le_bytes(blob[1..5].try_into().map_err(|_| DecryptError)?);
        Ok(Self { key_version, nonce: &blob[5..HEADER_LEN], ciphertext: &blob[HEADER_LEN..] })
    }
}

/// Seals `plain` under `key` with a given nonce. Only the known-answer tests pass a
/// nonce; everything else goes through [`seal`], which draws a fresh one.
pub(crate) fn seal_with_nonce(
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
    out.push(FORMAT_V1);
    out.extend_from_slice(&key_version.to_le_bytes());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&ct);
    out
}

/// Seals with 24 fresh bytes from the OS CSPRNG as the nonce (never a counter).
pub(crate) fn seal(key: &[u8; 32], key_version: u32, plain: &[u8], aad: &[u8]) -> Vec<u8> {
    seal_with_nonce(key, key_version, &crate::random_array(), plain, aad)
}

/// Opens a sealed box, checking that its key version is the expected one.
pub(crate) fn open(
    key: &[u8; 32],
    expected_key_version: u32,
    blob: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    let sealed = SealedBox::parse(blob)?;
    if sealed.key_version != expected_key_version {
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
    seal(key.expose(), 0, plain, &local_aad(label, account_id))
}

/// Opens what [`seal_local`] sealed with the same label and account.
pub fn open_local(
    key: &crate::VaultKey,
    label: &[u8],
    account_id: &crate::AccountId,
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    open(key.expose(), 0, blob, &local_aad(label, account_id))
}

fn local_aad(label: &[u8], account_id: &crate::AccountId) -> Vec<u8> {
    assert!(!label.starts_with(b"hush/v1/"), "local labels must not collide with spec labels");
    [label, account_id.as_bytes()].concat()
}

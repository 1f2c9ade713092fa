//! The keyset: the vault key wrapped under the kek (spec: "Keyset").

use crate::aead::{self, SealedBox};
use crate::{AccountId, DecryptError, KdfParams, KdfSalt, Kek, VaultKey};

/// Everything bound into the keyset's AAD besides the key itself.
///
/// Binding the KDF parameters means a server that hands out other parameters than
/// those the keyset was sealed with makes unwrapping fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeysetContext {
    /// The account.
    pub account_id: AccountId,
    /// The KDF parameters the kek was derived with.
    pub params: KdfParams,
    /// The KDF salt the kek was derived with.
    pub salt: KdfSalt,
    /// The version of the vault key.
    pub key_version: u32,
}

impl KeysetContext {
    /// `"hush/v1/keyset" || account_id || u32le(m) || u32le(t) || u32le(p) || salt || u32le(key_version)`.
    pub fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(14 + 16 + 12 + 16 + 4);
        aad.extend_from_slice(b"hush/v1/keyset");
        aad.extend_from_slice(self.account_id.as_bytes());
        aad.extend_from_slice(&self.params.m_kib.to_le_bytes());
        aad.extend_from_slice(&self.params.t.to_le_bytes());
        aad.extend_from_slice(&self.params.p.to_le_bytes());
        aad.extend_from_slice(&self.salt.0);
        aad.extend_from_slice(&self.key_version.to_le_bytes());
        aad
    }
}

/// A sealed keyset: `0x01 || u32le(key_version) || nonce || XSeal(kek, nonce, VK, keyset_aad)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset(pub Vec<u8>);

impl Keyset {
    /// Wraps the vault key under the kek with a fresh nonce.
    pub fn seal(kek: &Kek, vault_key: &VaultKey, ctx: &KeysetContext) -> Self {
        Self(aead::seal(kek.expose(), ctx.key_version, vault_key.expose(), &ctx.aad()))
    }

    /// Wraps with a given nonce: known-answer tests only.
    #[doc(hidden)]
    pub fn seal_with_nonce(kek: &Kek, vault_key: &VaultKey, ctx: &KeysetContext, nonce: &[u8; 24]) -> Self {
        Self(aead::seal_with_nonce(kek.expose(), ctx.key_version, nonce, vault_key.expose(), &ctx.aad()))
    }

    /// Unwraps the vault key. Wrong password, wrong account key, other KDF parameters
    /// or salt, another account or key version, or any flipped bit: one opaque error.
    pub fn open(&self, kek: &Kek, ctx: &KeysetContext) -> Result<VaultKey, DecryptError> {
        let plain = aead::open(kek.expose(), ctx.key_version, &self.0, &ctx.aad())?;
        VaultKey::from_slice(&plain).ok_or(DecryptError)
    }

    /// The key version written in the keyset's header (unauthenticated until opened).
    pub fn key_version(&self) -> Result<u32, DecryptError> {
        Ok(SealedBox::parse(&self.0)?.key_version)
    }
}

//! The keyset: every vault key of the account, wrapped under the kek
//! (docs/spec/crypto-v2.md, "Keyset: the key ring and its epoch").

use zeroize::Zeroizing;

use crate::aead::{self, SealedBox};
use crate::{AccountId, DecryptError, FORMAT_V1, FORMAT_V2, KdfParams, KdfSalt, Kek, VaultKey};

/// Most keys a ring may hold: one per password change, so far beyond any real account, and
/// small enough that a hostile keyset cannot make a device allocate much.
pub const MAX_RING_KEYS: usize = 1024;

/// Every vault key an account has had, newest first. The newest is the *current* key: it
/// seals new items, manifests and the local state. Older ones stay so that blobs sealed
/// before a password change still open (crypto-v2.md, "Keyset").
#[derive(Clone)]
pub struct KeyRing {
    /// `(version, key)`, versions strictly decreasing; never empty.
    keys: Vec<(u32, VaultKey)>,
}

impl KeyRing {
    /// A ring of one key (a new vault, or a version-1 keyset).
    pub fn new(version: u32, key: VaultKey) -> Self {
        Self { keys: vec![(version, key)] }
    }

    /// The current key.
    pub fn current(&self) -> &VaultKey {
        &self.keys[0].1
    }

    /// The current key's version: the keyset's epoch.
    pub fn current_version(&self) -> u32 {
        self.keys[0].0
    }

    /// The key of `version`, if the ring has it.
    pub fn get(&self, version: u32) -> Option<&VaultKey> {
        self.keys.iter().find(|(v, _)| *v == version).map(|(_, k)| k)
    }

    /// Whether the ring holds exactly `key` at `version` (constant-time on the key bytes).
    pub fn holds(&self, version: u32, key: &VaultKey) -> bool {
        self.get(version).is_some_and(|k| k == key)
    }

    /// The ring as it was when `version` was current: that key and every older one. `None` if
    /// the ring has no key of `version`. A device whose vault is sealed at `version` opens it
    /// with this before it adopts a newer ring (a password change on another device).
    pub fn as_of(&self, version: u32) -> Option<KeyRing> {
        let at = self.keys.iter().position(|(v, _)| *v == version)?;
        Some(KeyRing { keys: self.keys[at..].to_vec() })
    }

    /// The versions in the ring, newest first.
    pub fn versions(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.iter().map(|(v, _)| *v)
    }

    /// A new ring whose current key is a fresh random key one version above this ring's, and
    /// which keeps every key of this one (crypto-v2.md, "Password change and key rotation").
    ///
    /// # Panics
    /// If the current version is `u32::MAX` (four billion password changes).
    pub fn rotated(&self) -> KeyRing {
        let next = self.current_version().checked_add(1).expect("key version overflow");
        let mut keys = Vec::with_capacity(self.keys.len() + 1);
        keys.push((next, VaultKey::generate()));
        keys.extend(self.keys.iter().cloned());
        KeyRing { keys }
    }

    /// `u32le(n) || n × (u32le(version) || key)`, in a buffer wiped on drop.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(4 + 36 * self.keys.len()));
        out.extend_from_slice(&u32::try_from(self.keys.len()).expect("ring size fits u32").to_le_bytes());
        for (version, key) in &self.keys {
            out.extend_from_slice(&version.to_le_bytes());
            out.extend_from_slice(key.expose());
        }
        out
    }

    /// Parses [`encode`](Self::encode)'s layout, refusing an empty or oversized ring,
    /// versions that do not strictly decrease (or reach 0), and any length mismatch.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecryptError> {
        let (count, rest) = bytes.split_first_chunk::<4>().ok_or(DecryptError)?;
        let n = u32::from_le_bytes(*count) as usize;
        if n == 0 || n > MAX_RING_KEYS || rest.len() != 36 * n {
            return Err(DecryptError);
        }
        let mut keys: Vec<(u32, VaultKey)> = Vec::with_capacity(n);
        for chunk in rest.chunks_exact(36) {
            let version = u32::from_le_bytes(chunk[..4].try_into().map_err(|_| DecryptError)?);
            if version == 0 || keys.last().is_some_and(|(last, _)| *last <= version) {
                return Err(DecryptError);
            }
            keys.push((version, VaultKey::from_slice(&chunk[4..]).ok_or(DecryptError)?));
        }
        Ok(KeyRing { keys })
    }
}

/// Everything bound into the keyset's AAD besides the keys themselves.
///
/// Binding the KDF parameters means a server that hands out other parameters than those the
/// keyset was sealed with makes unwrapping fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeysetContext {
    /// The account.
    pub account_id: AccountId,
    /// The KDF parameters the kek was derived with.
    pub params: KdfParams,
    /// The KDF salt the kek was derived with.
    pub salt: KdfSalt,
    /// The version of the current vault key: the keyset's epoch.
    pub key_version: u32,
}

impl KeysetContext {
    /// `label || account_id || u32le(m) || u32le(t) || u32le(p) || salt || u32le(key_version)`,
    /// with the label `"hush/v2/keyset"` for a version-2 keyset (`"hush/v1/keyset"` for v1).
    pub fn aad(&self, format: u8) -> Vec<u8> {
        let label: &[u8] = if format == FORMAT_V1 { b"hush/v1/keyset" } else { b"hush/v2/keyset" };
        let mut aad = Vec::with_capacity(label.len() + 16 + 12 + 16 + 4);
        aad.extend_from_slice(label);
        aad.extend_from_slice(self.account_id.as_bytes());
        aad.extend_from_slice(&self.params.m_kib.to_le_bytes());
        aad.extend_from_slice(&self.params.t.to_le_bytes());
        aad.extend_from_slice(&self.params.p.to_le_bytes());
        aad.extend_from_slice(&self.salt.0);
        aad.extend_from_slice(&self.key_version.to_le_bytes());
        aad
    }
}

/// A sealed keyset: `0x02 || u32le(key_version) || nonce || XSeal(kek, nonce, ring, keyset_aad)`
/// (or, written by version 1 only, `0x01 || … || XSeal(kek, nonce, VK, keyset_aad_v1)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset(pub Vec<u8>);

impl Keyset {
    /// Wraps the ring under the kek with a fresh nonce. `ctx.key_version` must be the ring's
    /// current version.
    ///
    /// # Panics
    /// If it is not: sealing a keyset whose epoch contradicts its ring is a bug.
    pub fn seal(kek: &Kek, ring: &KeyRing, ctx: &KeysetContext) -> Self {
        Self::seal_with_nonce(kek, ring, ctx, &crate::random_array())
    }

    /// Seals with a given nonce: known-answer tests only.
    #[doc(hidden)]
    pub fn seal_with_nonce(kek: &Kek, ring: &KeyRing, ctx: &KeysetContext, nonce: &[u8; 24]) -> Self {
        assert_eq!(
            ctx.key_version,
            ring.current_version(),
            "the keyset's epoch is its ring's current version"
        );
        let plain = ring.encode();
        Self(aead::seal_with_nonce(
            FORMAT_V2,
            kek.expose(),
            ctx.key_version,
            nonce,
            &plain,
            &ctx.aad(FORMAT_V2),
        ))
    }

    /// A version-1 keyset (one key): what hush wrote before crypto v2, for upgrade tests and
    /// the version-1 known-answer vector.
    #[doc(hidden)]
    pub fn seal_v1_with_nonce(
        kek: &Kek,
        vault_key: &VaultKey,
        ctx: &KeysetContext,
        nonce: &[u8; 24],
    ) -> Self {
        Self(aead::seal_with_nonce(
            FORMAT_V1,
            kek.expose(),
            ctx.key_version,
            nonce,
            vault_key.expose(),
            &ctx.aad(FORMAT_V1),
        ))
    }

    /// Unwraps the ring. Wrong password, wrong account key, other KDF parameters or salt,
    /// another account or key version, a malformed ring, or any flipped bit: one opaque error.
    pub fn open(&self, kek: &Kek, ctx: &KeysetContext) -> Result<KeyRing, DecryptError> {
        let format = self.format()?;
        let plain = aead::open(format, kek.expose(), ctx.key_version, &self.0, &ctx.aad(format))?;
        let ring = if format == FORMAT_V1 {
            KeyRing::new(ctx.key_version, VaultKey::from_slice(&plain).ok_or(DecryptError)?)
        } else {
            KeyRing::decode(&plain)?
        };
        if ring.current_version() != ctx.key_version {
            return Err(DecryptError);
        }
        Ok(ring)
    }

    /// The key version (epoch) written in the keyset's header (unauthenticated until opened).
    pub fn key_version(&self) -> Result<u32, DecryptError> {
        Ok(SealedBox::parse(&self.0)?.key_version)
    }

    /// The format byte written in the keyset's header (unauthenticated until opened).
    pub fn format(&self) -> Result<u8, DecryptError> {
        Ok(SealedBox::parse(&self.0)?.format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(key_version: u32) -> KeysetContext {
        KeysetContext {
            account_id: AccountId([7; 16]),
            params: KdfParams { m_kib: 65_536, t: 3, p: 1 },
            salt: KdfSalt([9; 16]),
            key_version,
        }
    }

    #[test]
    fn a_rotated_ring_keeps_every_key_and_round_trips() {
        let first = KeyRing::new(1, VaultKey::generate());
        let third = first.rotated().rotated();
        assert_eq!(third.versions().collect::<Vec<_>>(), [3, 2, 1]);
        assert!(third.holds(1, first.current()));
        assert!(!third.holds(2, first.current()));
        let as_of_2 = third.as_of(2).unwrap();
        assert_eq!(as_of_2.versions().collect::<Vec<_>>(), [2, 1]);
        assert!(as_of_2.current() == third.get(2).unwrap());
        assert!(third.as_of(4).is_none());
        let kek = Kek::generate();
        let sealed = Keyset::seal(&kek, &third, &ctx(3));
        assert_eq!(sealed.key_version(), Ok(3));
        assert_eq!(sealed.format(), Ok(FORMAT_V2));
        let opened = sealed.open(&kek, &ctx(3)).unwrap();
        assert_eq!(opened.versions().collect::<Vec<_>>(), [3, 2, 1]);
        for v in 1..=3 {
            assert!(opened.get(v) == third.get(v), "version {v}");
        }
        // The epoch in the header is bound: claiming another one does not open.
        assert!(sealed.open(&kek, &ctx(4)).is_err());
        let mut forged = sealed.clone();
        forged.0[1] = 4;
        assert!(forged.open(&kek, &ctx(4)).is_err());
    }

    #[test]
    fn malformed_rings_are_refused() {
        let ring = KeyRing::new(5, VaultKey::generate()).rotated();
        let good = ring.encode();
        assert!(KeyRing::decode(&good).is_ok());
        for len in 0..good.len() {
            assert!(KeyRing::decode(&good[..len]).is_err(), "truncated to {len}");
        }
        let mut longer = good.to_vec();
        longer.push(0);
        assert!(KeyRing::decode(&longer).is_err());
        // Versions must strictly decrease: swap the two entries.
        let mut swapped = good[..4].to_vec();
        swapped.extend_from_slice(&good[40..76]);
        swapped.extend_from_slice(&good[4..40]);
        assert!(KeyRing::decode(&swapped).is_err());
        // No version 0, no empty ring, no absurd count.
        assert!(KeyRing::decode(&KeyRing::new(0, VaultKey::generate()).encode()).is_err());
        assert!(KeyRing::decode(&0u32.to_le_bytes()).is_err());
        let mut huge = u32::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(&[0; 36]);
        assert!(KeyRing::decode(&huge).is_err());
    }

    #[test]
    fn a_version_1_keyset_opens_as_a_ring_of_one() {
        let kek = Kek::generate();
        let vk = VaultKey::generate();
        let v1 = Keyset::seal_v1_with_nonce(&kek, &vk, &ctx(1), &[3; 24]);
        assert_eq!(v1.format(), Ok(FORMAT_V1));
        let ring = v1.open(&kek, &ctx(1)).unwrap();
        assert_eq!(ring.versions().collect::<Vec<_>>(), [1]);
        assert!(ring.holds(1, &vk));
        // The format byte is not interchangeable: a v1 box relabelled as v2 does not open.
        let mut relabelled = v1.clone();
        relabelled.0[0] = FORMAT_V2;
        assert!(relabelled.open(&kek, &ctx(1)).is_err());
    }
}

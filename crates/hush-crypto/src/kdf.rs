//! Key derivation (spec: "Key derivation"):
//! NFKD(password) → Argon2id → HKDF-Extract with the account key → kek and auth seed.

use argon2::{Algorithm, Argon2, Params, Version};
use hkdf::Hkdf;
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::{AccountId, AccountKey, AuthKey, KdfError, Kek};

/// Argon2id cost parameters (spec: "Key derivation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations (passes over memory).
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// The spec's floor: nothing below it is accepted without an explicit, typed opt-in.
    pub const FLOOR: KdfParams = KdfParams { m_kib: 65_536, t: 3, p: 1 };

    /// hush's defaults: 256 MiB, 3 passes, 4 lanes. Measured at about 0.45 s on a
    /// 2-core machine with argon2's `parallel` feature (docs/benchmarks.md): slow
    /// enough to cost an attacker, fast enough to unlock once per session.
    pub const DEFAULT: KdfParams = KdfParams { m_kib: 262_144, t: 3, p: 4 };

    /// The ceiling beyond which parameters are refused as excessive work, so that a
    /// malicious server cannot make a device hang or exhaust memory: 4 GiB, 64 passes,
    /// 64 lanes.
    pub const CEILING: KdfParams = KdfParams { m_kib: 4 * 1024 * 1024, t: 64, p: 64 };

    /// Whether every parameter is at or above the floor.
    pub fn meets_floor(&self) -> bool {
        self.m_kib >= Self::FLOOR.m_kib && self.t >= Self::FLOOR.t && self.p >= Self::FLOOR.p
    }

    /// Whether these parameters cost an attacker less than `other` does. A device
    /// refuses parameters weaker than those it holds for the same account, so a server
    /// cannot talk it down (spec: "Key derivation"). Fewer lanes at equal memory and
    /// passes do not make guessing cheaper, so `p` does not count.
    pub fn is_weaker_than(&self, other: &KdfParams) -> bool {
        self.m_kib < other.m_kib || self.t < other.t
    }

    /// Checks the parameters against the floor (unless `policy` allows it) and the ceiling.
    pub fn check(&self, policy: FloorPolicy) -> Result<(), KdfError> {
        let KdfParams { m_kib, t, p } = *self;
        if m_kib > Self::CEILING.m_kib || t > Self::CEILING.t || p > Self::CEILING.p {
            return Err(KdfError::ExcessiveWork { m_kib, t, p });
        }
        if policy == FloorPolicy::Enforce && !self.meets_floor() {
            return Err(KdfError::BelowFloor { m_kib, t, p });
        }
        Ok(())
    }
}

/// Whether parameters below the floor are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloorPolicy {
    /// Refuse parameters below the floor (every normal path).
    Enforce,
    /// Accept them: only behind a flag a user must type on purpose (`--insecure-kdf`),
    /// for tests; the caller warns.
    AllowInsecure,
}

/// The 16-byte salt of Argon2id, fresh at `init` and at every password change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfSalt(pub [u8; 16]);

impl KdfSalt {
    /// A fresh random salt.
    pub fn random() -> Self {
        Self(crate::random_array())
    }
}

/// What one unlock derives: the key-encryption key and the server auth key.
pub struct DerivedKeys {
    /// Unwraps the vault key from the keyset.
    pub kek: Kek,
    /// Signs login challenges; its public half is all the server learns.
    pub auth: AuthKey,
}

/// Derives the kek and auth key from the master password and the account key.
///
/// This is the one deliberately slow operation of hush (Argon2id). The password is
/// normalised to NFKD first, so that the same password typed on two systems with
/// different Unicode composition derives the same keys.
pub fn derive_keys(
    password: &str,
    salt: &KdfSalt,
    params: &KdfParams,
    account_id: &AccountId,
    account_key: &AccountKey,
    policy: FloorPolicy,
) -> Result<DerivedKeys, KdfError> {
    params.check(policy)?;
    let a = argon2id(password, salt, params)?;
    Ok(expand(&a, account_id, account_key))
}

/// `a = Argon2id(NFKD(pw), salt, m, t, p, v0x13, 32 bytes)`.
pub(crate) fn argon2id(
    password: &str,
    salt: &KdfSalt,
    params: &KdfParams,
) -> Result<Zeroizing<[u8; 32]>, KdfError> {
    let pw = Zeroizing::new(password.nfkd().collect::<String>());
    let argon_params = Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|e| KdfError::Invalid(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut a = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(pw.as_bytes(), &salt.0, a.as_mut())
        .map_err(|e| KdfError::Invalid(e.to_string()))?;
    Ok(a)
}

/// The HKDF half: `prk = Extract("hush/v1" || account_id, a || AK)`, then the two expands.
pub(crate) fn expand(a: &[u8; 32], account_id: &AccountId, account_key: &AccountKey) -> DerivedKeys {
    let salt = [b"hush/v1".as_slice(), account_id.as_bytes()].concat();
    let ikm = Zeroizing::new([a.as_slice(), account_key.expose()].concat());
    let hk = Hkdf::<Sha256>::new(Some(&salt), &ikm);
    let mut kek = Zeroizing::new([0u8; 32]);
    let mut auth_seed = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA-256's 8160-byte output limit.
    hk.expand(b"hush/v1/kek", kek.as_mut()).expect("32-byte HKDF output");
    hk.expand(b"hush/v1/auth", auth_seed.as_mut()).expect("32-byte HKDF output");
    DerivedKeys { kek: Kek::from_bytes(*kek), auth: AuthKey::from_seed(&auth_seed) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_is_enforced_unless_allowed() {
        let weak = KdfParams { m_kib: 8192, t: 2, p: 1 };
        assert!(matches!(weak.check(FloorPolicy::Enforce), Err(KdfError::BelowFloor { .. })));
        assert!(weak.check(FloorPolicy::AllowInsecure).is_ok());
        for p in [
            KdfParams { m_kib: 65_535, t: 3, p: 1 },
            KdfParams { m_kib: 65_536, t: 2, p: 1 },
            KdfParams { m_kib: 65_536, t: 3, p: 0 },
        ] {
            assert!(p.check(FloorPolicy::Enforce).is_err(), "{p:?}");
        }
        assert!(KdfParams::FLOOR.check(FloorPolicy::Enforce).is_ok());
        assert!(KdfParams::DEFAULT.check(FloorPolicy::Enforce).is_ok());
    }

    #[test]
    fn excessive_work_is_refused_even_when_insecure_is_allowed() {
        let huge = KdfParams { m_kib: u32::MAX, t: 3, p: 1 };
        assert!(matches!(huge.check(FloorPolicy::AllowInsecure), Err(KdfError::ExcessiveWork { .. })));
        let passes = KdfParams { m_kib: 65_536, t: 10_000, p: 1 };
        assert!(matches!(passes.check(FloorPolicy::Enforce), Err(KdfError::ExcessiveWork { .. })));
    }

    #[test]
    fn below_floor_is_refused_before_any_work() {
        let err = derive_keys(
            "pw",
            &KdfSalt([0; 16]),
            &KdfParams { m_kib: 1024, t: 1, p: 1 },
            &AccountId([0; 16]),
            &AccountKey::from_bytes([0; 16]),
            FloorPolicy::Enforce,
        )
        .err();
        assert!(matches!(err, Some(KdfError::BelowFloor { m_kib: 1024, t: 1, p: 1 })));
    }

    /// The known-answer vectors' intermediate Argon2id output, checked on its own so
    /// that a mismatch in the final keys points at the Argon2id step or the HKDF step.
    #[test]
    fn argon2id_matches_the_vectors() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/spec/crypto-v1-vectors.json"))
                .expect("vectors parse");
        let cases = vectors["kdf"].as_array().expect("kdf vectors");
        assert!(!cases.is_empty());
        let bytes = |v: &serde_json::Value| hex::decode(v.as_str().expect("hex string")).expect("hex");
        for case in cases {
            let param = |name: &str| u32::try_from(case[name].as_u64().expect(name)).expect(name);
            let params = KdfParams { m_kib: param("m_kib"), t: param("t"), p: param("p") };
            let salt = KdfSalt(bytes(&case["kdf_salt"]).try_into().expect("16-byte salt"));
            let expected = bytes(&case["argon2id"]);
            // Both the password as typed and its NFKD form must give the vector's
            // value: the normalisation happens inside, before Argon2id.
            for field in ["password_utf8_hex", "password_nfkd_utf8_hex"] {
                let password = String::from_utf8(bytes(&case[field])).expect("UTF-8 password");
                let a = argon2id(&password, &salt, &params).expect("argon2id");
                assert_eq!(a.as_slice(), expected.as_slice(), "{field} {}", case[field]);
            }
        }
    }

    #[test]
    fn weaker_than() {
        let held = KdfParams::DEFAULT;
        assert!(KdfParams { m_kib: 65_536, ..held }.is_weaker_than(&held));
        assert!(KdfParams { t: 2, ..held }.is_weaker_than(&held));
        assert!(!KdfParams { p: 1, ..held }.is_weaker_than(&held));
        assert!(!held.is_weaker_than(&held));
    }
}

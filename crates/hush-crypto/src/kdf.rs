//! Key derivation (docs/spec/crypto-v2.md, "Key derivation"):
//! NFKD(password) → Argon2id → HKDF-Extract with the account key → kek and auth seed.

use argon2::{Algorithm, Argon2, Params, Version};
use hkdf::Hkdf;
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::{AccountId, AccountKey, AuthKey, FloorPolicy, KdfError, KdfParams, Kek};

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
}

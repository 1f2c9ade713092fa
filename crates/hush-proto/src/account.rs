//! Accounts and their key material: registration, prelogin, deletion, and the master-password
//! change (`sync-api-v2.md`, "Accounts" and `PUT /v2/keyset`).

use serde::{Deserialize, Serialize};

use crate::b64::{AuthPublicKey, B64, Challenge, Signature};
use crate::secret::RegistrationCode;
use hush_core::AccountId;

/// Argon2id parameters and salt (`crypto-v2.md`, "Key derivation").
///
/// The server stores and returns these verbatim; it never runs the KDF. Unknown fields are
/// refused in both directions: a client that meets a KDF setting it does not understand must not
/// derive keys while ignoring it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Memory cost in KiB.
    pub m_kib: u32,
    /// Time cost (passes).
    pub t: u32,
    /// Parallelism (lanes).
    pub p: u32,
    /// The KDF salt: 16 random bytes.
    pub salt: B64,
}

/// `POST /v2/accounts`: register a new account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The account id the client chose at random.
    pub account_id: AccountId,
    /// KDF parameters, so other devices can derive the same keys.
    pub kdf: KdfParams,
    /// The Ed25519 public key that login signatures are checked against.
    pub auth_public_key: AuthPublicKey,
    /// The wrapped vault key (`crypto-v2.md`, "Keyset").
    pub keyset: B64,
    /// The single-use invite code; required unless the server runs with open registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_code: Option<RegistrationCode>,
}

/// The 201 answer to [`RegisterRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    /// The id of the account just created.
    pub account_id: AccountId,
}

/// `GET /v2/accounts/{account_id}/prelogin`: what a new device needs before it can derive keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreloginResponse {
    /// The account's current KDF parameters and salt.
    pub kdf: KdfParams,
}

/// `DELETE /v2/accounts/current`: delete the account, proving the current master password.
///
/// A session token alone must not be able to delete an account (`sync-api-v2.md`, "Accounts"):
/// `signature` is the *current* auth key's signature over
/// [`delete_account_message`](crate::delete_account_message)`(account_id, challenge)`, with a
/// challenge from `POST /v2/sessions/challenge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    /// A fresh challenge for this account.
    pub challenge: Challenge,
    /// Signature by the current auth key over the deletion message.
    pub signature: Signature,
}

/// `PUT /v2/keyset`: master password change.
///
/// `signature` is made with the *current* auth key over
/// [`rekey_message`](crate::rekey_message)`(account_id, auth_public_key, keyset)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RekeyRequest {
    /// The seq the client's view is based on; a stale one is a 409 conflict.
    pub base_seq: u64,
    /// The new KDF parameters and salt.
    pub kdf: KdfParams,
    /// The new auth public key.
    pub auth_public_key: AuthPublicKey,
    /// The new key ring wrapped under the new kek; its key version must be above the current one
    /// (`crypto-v2.md`, "Password change and key rotation").
    pub keyset: B64,
    /// Signature by the current auth key over the rekey message.
    pub signature: Signature,
}

/// The 200 answer to [`RekeyRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RekeyResponse {
    /// The account's new seq (a rekey counts as one revision).
    pub seq: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::B64Array;

    const ACCOUNT: &str = "11111111-2222-4333-8444-555555555555";

    fn register_json() -> serde_json::Value {
        serde_json::json!({
            "account_id": ACCOUNT,
            "kdf": {"m_kib": 262144, "t": 3, "p": 4, "salt": B64(vec![9; 16]).encode()},
            "auth_public_key": B64(vec![1; 32]).encode(),
            "keyset": B64(vec![1, 2, 3]).encode(),
        })
    }

    #[test]
    fn register_round_trip_and_optional_code() {
        let request: RegisterRequest = serde_json::from_value(register_json()).expect("valid request parses");
        assert_eq!(request.account_id.to_string(), ACCOUNT);
        assert_eq!(request.kdf.m_kib, 262144);
        assert_eq!(request.auth_public_key, B64Array([1; 32]));
        assert!(request.registration_code.is_none());
        let again = serde_json::to_value(&request).expect("serialises");
        assert_eq!(again, register_json(), "absent code is not serialised");

        let mut with_code = register_json();
        with_code["registration_code"] = "abc".into();
        let request: RegisterRequest = serde_json::from_value(with_code).expect("parses");
        assert_eq!(request.registration_code.map(|c| c.expose().to_owned()), Some("abc".into()));
    }

    #[test]
    fn register_rejects_malformed_input() {
        type Mutation = fn(&mut serde_json::Value);
        let cases: Vec<(&str, Mutation)> = vec![
            ("unknown field", |v| v["extra"] = 1.into()),
            ("unknown kdf field", |v| v["kdf"]["algorithm"] = "scrypt".into()),
            ("missing keyset", |v| drop(v.as_object_mut().map(|o| o.remove("keyset")))),
            ("missing salt", |v| drop(v["kdf"].as_object_mut().map(|o| o.remove("salt")))),
            ("negative m_kib", |v| v["kdf"]["m_kib"] = (-1).into()),
            ("m_kib over u32", |v| v["kdf"]["m_kib"] = (1u64 << 33).into()),
            ("t as string", |v| v["kdf"]["t"] = "3".into()),
            ("short public key", |v| v["auth_public_key"] = B64(vec![1; 31]).encode().into()),
            ("bad base64 keyset", |v| v["keyset"] = "!!".into()),
            ("bad account id", |v| v["account_id"] = "not-a-uuid".into()),
            ("code as number", |v| v["registration_code"] = 5.into()),
        ];
        for (what, mutate) in cases {
            let mut value = register_json();
            mutate(&mut value);
            assert!(serde_json::from_value::<RegisterRequest>(value).is_err(), "{what}");
        }
    }

    #[test]
    fn rekey_round_trip_and_rejection() {
        let request = RekeyRequest {
            base_seq: 58,
            kdf: KdfParams { m_kib: 65536, t: 3, p: 1, salt: B64(vec![2; 16]) },
            auth_public_key: B64Array([3; 32]),
            keyset: B64(vec![4; 77]),
            signature: B64Array([5; 64]),
        };
        let json = serde_json::to_value(&request).expect("serialises");
        assert_eq!(serde_json::from_value::<RekeyRequest>(json.clone()).expect("parses"), request);

        let mut short_signature = json.clone();
        short_signature["signature"] = B64(vec![5; 63]).encode().into();
        assert!(serde_json::from_value::<RekeyRequest>(short_signature).is_err());
        let mut negative_seq = json;
        negative_seq["base_seq"] = (-1).into();
        assert!(serde_json::from_value::<RekeyRequest>(negative_seq).is_err());
    }

    #[test]
    fn prelogin_shape() {
        let response =
            PreloginResponse { kdf: KdfParams { m_kib: 262144, t: 3, p: 4, salt: B64(vec![0; 16]) } };
        assert_eq!(
            serde_json::to_value(&response).expect("serialises"),
            serde_json::json!({"kdf": {"m_kib": 262144, "t": 3, "p": 4,
                "salt": "AAAAAAAAAAAAAAAAAAAAAA"}})
        );
    }
}

//! The server auth key and the messages it signs (spec: "Server authentication";
//! sync-api-v1: `PUT /v1/keyset`).

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::AccountId;

/// The Ed25519 key pair whose seed is `auth_seed`. Because the seed depends on the
/// account key, neither the public key nor any signature lets anyone test a password.
pub struct AuthKey(SigningKey);

impl AuthKey {
    /// Builds the key pair from a 32-byte seed (RFC 8032 secret key).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    /// The public key the server stores.
    pub fn public_key(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// Signs a message (a login or rekey message built by this module).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

// The two signed messages are laid out once, in `hush-proto` (`signing.rs`), because the server
// verifies exactly those bytes: a second copy here could drift and make every login fail. The
// dependency points this way because `hush-proto` is plain data and must not pull in the
// cryptography crates; the known-answer vector in `tests/vectors.rs` pins the shared layout
// through these wrappers.

/// `"hush/v1/login" || account_id || challenge` (spec: "Server authentication"), built by
/// [`hush_proto::login_message`], the function the server verifies with.
pub fn login_message(account_id: &AccountId, challenge: &[u8; 32]) -> Vec<u8> {
    hush_proto::login_message(&hush_proto::AccountId::from_bytes(account_id.0), challenge)
}

/// `"hush/v1/rekey" || account_id || new_public_key || new_keyset`, signed with the
/// *current* auth key on a master password change (sync-api-v1: `PUT /v1/keyset`), built by
/// [`hush_proto::rekey_message`], the function the server verifies with.
pub fn rekey_message(account_id: &AccountId, new_public_key: &[u8; 32], new_keyset: &[u8]) -> Vec<u8> {
    hush_proto::rekey_message(&hush_proto::AccountId::from_bytes(account_id.0), new_public_key, new_keyset)
}

/// `"hush/v2/delete-account" || account_id || challenge` (docs/spec/crypto-v2.md, "Account
/// deletion"), built by [`hush_proto::delete_account_message`], the function the server verifies
/// with.
pub fn delete_account_message(account_id: &AccountId, challenge: &[u8; 32]) -> Vec<u8> {
    hush_proto::delete_account_message(&hush_proto::AccountId::from_bytes(account_id.0), challenge)
}

/// Strict Ed25519 verification (rejects small-order keys and malleable signatures).
pub fn verify_signature(public_key: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(public_key) else { return false };
    let Ok(sig) = Signature::from_slice(signature) else { return false };
    key.verify_strict(message, &sig).is_ok()
}

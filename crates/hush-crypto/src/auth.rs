//! The server auth key (docs/spec/crypto-v2.md, "Server authentication"). The messages it signs
//! and their verification are hush-core's, shared with the server.

use ed25519_dalek::{Signer, SigningKey};

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

    /// Signs a message (one of hush-core's signed messages).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

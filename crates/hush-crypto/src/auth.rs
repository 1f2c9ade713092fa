//! The server auth key (docs/spec/crypto-v2.md, "Server authentication"). The messages it signs
//! and their verification are hush-core's, shared with the server.

use ed25519_dalek::{Signer, SigningKey};
use zeroize::Zeroizing;

/// The Ed25519 key pair whose seed is `auth_seed`. Because the seed depends on the
/// account key, neither the public key nor any signature lets anyone test a password.
pub struct AuthKey(SigningKey);

impl AuthKey {
    /// Builds the key pair from a 32-byte seed (RFC 8032 secret key).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    /// The 32-byte seed, for handing the key to the agent that keeps it while the vault is
    /// unlocked (docs/agent-and-clipboard.md, "What the agent holds"). [`AuthKey::from_seed`]
    /// rebuilds the same key pair from it.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_rebuilds_the_same_key_pair() {
        let key = AuthKey::from_seed(&[7u8; 32]);
        let again = AuthKey::from_seed(&key.seed());
        assert_eq!(*key.seed(), [7u8; 32]);
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(again.sign(b"m"), key.sign(b"m"));
    }
}

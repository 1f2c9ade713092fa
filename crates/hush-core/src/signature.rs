//! Ed25519 verification, written once for the client and the server.

use ed25519_dalek::{Signature, VerifyingKey};

/// Whether `signature` is a valid Ed25519 signature of `message` by `public_key`, verified
/// strictly: small-order keys and non-canonical signatures are refused, so one message has
/// exactly one acceptable signature per key (crypto-v2.md, "Notation").
pub fn verify_signature(public_key: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(public_key) else { return false };
    let Ok(sig) = Signature::from_slice(signature) else { return false };
    key.verify_strict(message, &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_key_message_and_signature_verify() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let public = key.verifying_key().to_bytes();
        let sig = ed25519_dalek::Signer::sign(&key, b"message").to_bytes();
        assert!(verify_signature(&public, b"message", &sig));
        assert!(!verify_signature(&public, b"messagf", &sig));
        assert!(!verify_signature(&[8; 32], b"message", &sig));
        assert!(!verify_signature(&public, b"message", &sig[..63]));
        // A small-order public key (the identity point) is refused whatever the signature.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(!verify_signature(&identity, b"message", &[0; 64]));
    }
}

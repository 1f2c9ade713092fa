//! Signatures for the ssh-agent protocol's sign request (draft-miller-ssh-agent, "Private
//! key operations"): Ed25519 and ECDSA through `ssh-key`, RSA here with the hash the
//! request's flags ask for.

use rsa::pkcs1v15::SigningKey;
use rsa::sha2::{Sha256, Sha512};
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use ssh_key::private::{KeypairData, RsaKeypair};
use ssh_key::rand_core::OsRng;
use ssh_key::{Algorithm, HashAlg, Signature};

use crate::SshKey;

/// `SSH_AGENT_RSA_SHA2_256`: sign with `rsa-sha2-256` (draft-miller-ssh-agent, "Signature
/// flags"; RFC 8332).
pub const RSA_SHA2_256: u32 = 0x02;
/// `SSH_AGENT_RSA_SHA2_512`: sign with `rsa-sha2-512`.
pub const RSA_SHA2_512: u32 = 0x04;

/// Why a signature was not made. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// An RSA signature request without a SHA-2 flag asks for `ssh-rsa`, a SHA-1 signature,
    /// which OpenSSH itself has refused by default since 8.8.
    #[error(
        "the client asked for an ssh-rsa (SHA-1) signature, which hush does not make; it signs RSA with rsa-sha2-256 or rsa-sha2-512"
    )]
    Sha1Refused,
    /// The signing primitive failed.
    #[error("the signature could not be made")]
    Failed,
}

impl SshKey {
    /// Signs `data` as the agent protocol asks: for RSA, `flags` chooses SHA-256 or SHA-512
    /// (SHA-256 first when both are set, as OpenSSH's agent does); other algorithms ignore
    /// them. RSA signing is blinded (the `rsa` crate with a random generator).
    pub fn sign(&self, data: &[u8], flags: u32) -> Result<Signature, SignError> {
        match self.key.key_data() {
            KeypairData::Rsa(keypair) => sign_rsa(keypair, data, flags),
            other => signature::Signer::try_sign(other, data).map_err(|_| SignError::Failed),
        }
    }
}

fn sign_rsa(keypair: &RsaKeypair, data: &[u8], flags: u32) -> Result<Signature, SignError> {
    let key = rsa_private_key(keypair).ok_or(SignError::Failed)?;
    let (hash, bytes) = if flags & RSA_SHA2_256 != 0 {
        (HashAlg::Sha256, SigningKey::<Sha256>::new(key).try_sign_with_rng(&mut OsRng, data))
    } else if flags & RSA_SHA2_512 != 0 {
        (HashAlg::Sha512, SigningKey::<Sha512>::new(key).try_sign_with_rng(&mut OsRng, data))
    } else {
        return Err(SignError::Sha1Refused);
    };
    let bytes = bytes.map_err(|_| SignError::Failed)?.to_vec();
    Signature::new(Algorithm::Rsa { hash: Some(hash) }, bytes).map_err(|_| SignError::Failed)
}

/// The `rsa` crate's private key from an OpenSSH key pair, validated. Built here from the two
/// primes because `ssh-key` 0.6.7's own conversion passes `p` twice (its
/// `TryFrom<&RsaKeypair> for rsa::RsaPrivateKey`), which gives a key that signs wrongly;
/// `rsa_keys_sign_with_the_hash_the_flags_ask_for` catches that.
fn rsa_private_key(keypair: &RsaKeypair) -> Option<rsa::RsaPrivateKey> {
    let int = |m: &ssh_key::Mpint| rsa::BigUint::try_from(m).ok();
    let key = rsa::RsaPrivateKey::from_components(
        int(&keypair.public.n)?,
        int(&keypair.public.e)?,
        int(&keypair.private.d)?,
        vec![int(&keypair.private.p)?, int(&keypair.private.q)?],
    )
    .ok()?;
    key.validate().ok()?;
    Some(key)
}

/// The size of an RSA key's modulus in bits.
pub(crate) fn rsa_bits(keypair: &RsaKeypair) -> u32 {
    rsa::BigUint::try_from(&keypair.public.n).map_or(0, |n| u32::try_from(n.bits()).unwrap_or(u32::MAX))
}

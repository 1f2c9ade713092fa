//! One SSH key pair as hush holds it: a private key in OpenSSH's format, checked when it
//! comes in, and its public forms.

use ssh_key::private::KeypairData;
use ssh_key::rand_core::OsRng;
use ssh_key::{Algorithm, EcdsaCurve, HashAlg, LineEnding, PrivateKey, PublicKey};
use zeroize::Zeroizing;

use crate::import::{Import, KeyError};

/// The public key (with its comment) of a key as hush stores it, without the checks and the
/// test signature of [`SshKey::from_stored`]: for listing keys, which happens at every SSH
/// connection. The key was checked when it was stored; signing checks it again.
pub fn stored_public_key(text: &str) -> Result<PublicKey, KeyError> {
    let key = PrivateKey::from_openssh(text.trim())
        .map_err(|_| KeyError::Damaged("it does not decode as an OpenSSH private key"))?;
    Ok(key.public_key().clone())
}

/// An unencrypted SSH private key of a kind hush serves: Ed25519, ECDSA (NIST P-256, P-384,
/// P-521) or RSA of at least 2048 bits, whose private half is known to match its public half
/// (see `SshKey::checked`). No `Debug`: it is a secret.
pub struct SshKey {
    pub(crate) key: PrivateKey,
}

impl SshKey {
    /// A new Ed25519 key from the operating system's random generator.
    pub fn generate_ed25519(comment: &str) -> SshKey {
        // Ed25519 generation is 32 random bytes; with the OS generator it cannot fail.
        let mut key = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).expect("Ed25519 key generation");
        key.set_comment(comment);
        SshKey { key }
    }

    /// Reads a key as hush stores it ([`SshKey::to_openssh`]): unencrypted, in OpenSSH's
    /// format. Runs the same checks as an import.
    pub fn from_stored(text: &str) -> Result<SshKey, KeyError> {
        match Import::parse(text.as_bytes())? {
            Import::Ready(key) => Ok(key),
            Import::Encrypted(_) => Err(KeyError::Damaged("the stored key is encrypted")),
        }
    }

    /// Accepts `key` only if hush can serve it: a supported algorithm and size, and a private
    /// half that matches the public one (a test signature must verify under the public key,
    /// whatever the algorithm, so that the agent never offers a key it cannot sign for).
    pub(crate) fn checked(key: PrivateKey) -> Result<SshKey, KeyError> {
        match key.key_data() {
            KeypairData::Ed25519(_) => {}
            KeypairData::Ecdsa(_) => {}
            KeypairData::Rsa(rsa) => {
                let bits = crate::sign::rsa_bits(rsa);
                if bits < 2048 {
                    return Err(KeyError::RsaTooSmall(bits));
                }
            }
            other => {
                let name = other.algorithm().map(|a| a.to_string()).unwrap_or_else(|_| "unknown".into());
                return Err(KeyError::Unsupported(name));
            }
        }
        let key = SshKey { key };
        const PROBE: &[u8] = b"hush-ssh: does the private key match the public key?";
        let signature = key
            .sign(PROBE, crate::RSA_SHA2_512)
            .map_err(|_| KeyError::Damaged("it cannot sign; its numbers are inconsistent"))?;
        signature::Verifier::verify(key.key.public_key().key_data(), PROBE, &signature)
            .map_err(|_| KeyError::Damaged("its private half does not match its public half"))?;
        Ok(key)
    }

    /// The private key in OpenSSH's format, unencrypted, with LF line endings: what an item's
    /// `ssh_key` field holds.
    pub fn to_openssh(&self) -> Zeroizing<String> {
        // Encoding a key that was decoded or generated into memory cannot fail.
        self.key.to_openssh(LineEnding::LF).expect("encoding an SSH private key")
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    /// The public key as one line of `authorized_keys`: `ALGORITHM BASE64 COMMENT`.
    pub fn public_line(&self) -> String {
        // Encoding a public key held in memory cannot fail.
        self.key.public_key().to_openssh().expect("encoding an SSH public key")
    }

    /// The SHA-256 fingerprint as `ssh-keygen -l` and `ssh-add -l` show it: `SHA256:…`.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// The algorithm's name as SSH spells it (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`).
    pub fn algorithm(&self) -> String {
        self.key.algorithm().to_string()
    }

    /// The key's size in bits (256 for Ed25519, the modulus for RSA, the curve for ECDSA).
    pub fn bits(&self) -> u32 {
        match self.key.key_data() {
            KeypairData::Rsa(rsa) => crate::sign::rsa_bits(rsa),
            KeypairData::Ecdsa(ecdsa) => match ecdsa.curve() {
                EcdsaCurve::NistP256 => 256,
                EcdsaCurve::NistP384 => 384,
                EcdsaCurve::NistP521 => 521,
            },
            _ => 256,
        }
    }

    /// The comment (often `user@host`); empty when the key has none.
    pub fn comment(&self) -> &str {
        self.key.comment()
    }

    /// Replaces the comment.
    pub fn set_comment(&mut self, comment: &str) {
        self.key.set_comment(comment);
    }
}

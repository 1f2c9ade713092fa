//! Reading a private key file: OpenSSH's format, encrypted or not. Other formats are
//! recognised only to say how to convert them.

use ssh_key::PrivateKey;

use crate::SshKey;

/// Why a key cannot be read or served. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file holds something other than an OpenSSH private key.
    #[error("this is {found}, not an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)")]
    NotOpenSsh {
        /// What it looks like, e.g. "a PEM (PKCS#1) RSA private key".
        found: &'static str,
    },
    /// The key's algorithm is not one hush serves.
    #[error("{0} keys are not supported; hush keeps Ed25519, ECDSA (P-256, P-384, P-521) and RSA keys")]
    Unsupported(String),
    /// An RSA key below 2048 bits.
    #[error("this RSA key has {0} bits; hush accepts RSA keys of 2048 bits or more")]
    RsaTooSmall(u32),
    /// The passphrase did not decrypt the key.
    #[error("wrong passphrase (or the encrypted key is damaged)")]
    WrongPassphrase,
    /// The key's cipher or key derivation is one `ssh-key` cannot decrypt.
    #[error("the key is encrypted with a cipher hush cannot decrypt; remove its passphrase first")]
    UnsupportedEncryption,
    /// The key decodes but is not consistent, or is damaged.
    #[error("the key is damaged: {0}")]
    Damaged(&'static str),
}

/// What a key file held.
pub enum Import {
    /// An unencrypted key, checked and ready to store.
    Ready(SshKey),
    /// An encrypted key: [`EncryptedKey::decrypt`] with its passphrase.
    Encrypted(EncryptedKey),
}

/// An OpenSSH private key still encrypted with its passphrase.
pub struct EncryptedKey {
    key: PrivateKey,
}

impl Import {
    /// Parses the contents of a private key file.
    pub fn parse(bytes: &[u8]) -> Result<Import, KeyError> {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim_start();
        if !text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
            return Err(KeyError::NotOpenSsh { found: recognise(text) });
        }
        let key = PrivateKey::from_openssh(text.trim_end())
            .map_err(|_| KeyError::Damaged("it does not decode as an OpenSSH private key"))?;
        if key.is_encrypted() {
            Ok(Import::Encrypted(EncryptedKey { key }))
        } else {
            SshKey::checked(key).map(Import::Ready)
        }
    }
}

impl EncryptedKey {
    /// Decrypts the key with its passphrase, then checks it like an unencrypted one.
    pub fn decrypt(&self, passphrase: &[u8]) -> Result<SshKey, KeyError> {
        let key = self.key.decrypt(passphrase).map_err(|e| match e {
            ssh_key::Error::AlgorithmUnknown | ssh_key::Error::AlgorithmUnsupported { .. } => {
                KeyError::UnsupportedEncryption
            }
            _ => KeyError::WrongPassphrase,
        })?;
        SshKey::checked(key)
    }

    /// The public key, which OpenSSH stores unencrypted next to the private one.
    pub fn public_key(&self) -> &ssh_key::PublicKey {
        self.key.public_key()
    }
}

/// A name for what a non-OpenSSH key file looks like, so that the error can say how to
/// convert it.
fn recognise(text: &str) -> &'static str {
    let first = text.lines().next().unwrap_or("");
    match first.trim() {
        "-----BEGIN RSA PRIVATE KEY-----" => "a PEM (PKCS#1) RSA private key",
        "-----BEGIN EC PRIVATE KEY-----" => "a PEM (SEC 1) EC private key",
        "-----BEGIN DSA PRIVATE KEY-----" => "a PEM DSA private key",
        "-----BEGIN PRIVATE KEY-----" | "-----BEGIN ENCRYPTED PRIVATE KEY-----" => "a PKCS#8 private key",
        l if l.starts_with("PuTTY-User-Key-File") => "a PuTTY key",
        l if l.starts_with("ssh-") || l.starts_with("ecdsa-") || l.starts_with("sk-") => {
            "a public key (the private key is the file without .pub)"
        }
        _ => "not a key file hush recognises",
    }
}

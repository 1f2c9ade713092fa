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
    /// An encrypted ECDSA key whose private number OpenSSH wrote in a short form that hush
    /// reads only from unencrypted keys (see `short_scalar`).
    #[error(
        "this encrypted ECDSA key stores its private number in a short form hush cannot read yet; \
         make a new key with `hush ssh generate`, or import it unencrypted from a private folder"
    )]
    ShortEcdsaScalar,
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
            .or_else(|e| short_scalar::widened(text.trim_end()).ok_or(e))
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
            // The check numbers matched, so the passphrase was right, but the key inside did
            // not decode: the short ECDSA scalar of `short_scalar`, which is widened only in
            // unencrypted keys.
            ssh_key::Error::Encoding(_) if self.key.public_key().key_data().ecdsa().is_some() => {
                KeyError::ShortEcdsaScalar
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

/// OpenSSH writes an ECDSA private scalar as an mpint (RFC 4251, section 5), leading zero
/// bytes stripped; `ssh-key` 0.6 reads exactly the curve's size (or one more, a sign byte), so
/// it refuses about one P-521 key in four (a scalar below 2^512 whose next bit is clear) and
/// a few P-256 and P-384 keys in a thousand (fixed upstream after 0.6: RustCrypto/SSH#356).
/// For an unencrypted key, this rewrites the scalar with its leading zeros and decodes again;
/// the value is the same number, and [`SshKey::checked`]'s test signature proves the result.
mod short_scalar {
    use ssh_encoding::{Decode, Encode};
    use ssh_key::PrivateKey;
    use zeroize::Zeroizing;

    const MAGIC: &[u8] = b"openssh-key-v1\0";
    /// OpenSSH's line width for its private key files (PROTOCOL.key).
    const LINE_WIDTH: usize = 70;

    /// The key, decoded after widening its ECDSA scalar; `None` for anything else, which keeps
    /// the original error.
    pub(super) fn widened(pem: &str) -> Option<PrivateKey> {
        let mut decoder = ssh_encoding::pem::Decoder::new_wrapped(pem.as_bytes(), LINE_WIDTH).ok()?;
        if decoder.type_label() != "OPENSSH PRIVATE KEY" {
            return None;
        }
        let mut raw = Zeroizing::new(Vec::new());
        decoder.decode_to_end(&mut raw).ok()?;
        let mut r = raw.strip_prefix(MAGIC)?;
        let cipher = String::decode(&mut r).ok()?;
        let kdf = String::decode(&mut r).ok()?;
        let kdf_options = Vec::<u8>::decode(&mut r).ok()?;
        let count = u32::decode(&mut r).ok()?;
        let public = Vec::<u8>::decode(&mut r).ok()?;
        let private = Zeroizing::new(Vec::<u8>::decode(&mut r).ok()?);
        if cipher != "none" || kdf != "none" || count != 1 || !r.is_empty() {
            return None;
        }
        let mut p = &private[..];
        let (check1, check2) = (u32::decode(&mut p).ok()?, u32::decode(&mut p).ok()?);
        let algorithm = String::decode(&mut p).ok()?;
        let size = match algorithm.as_str() {
            "ecdsa-sha2-nistp256" => 32,
            "ecdsa-sha2-nistp384" => 48,
            "ecdsa-sha2-nistp521" => 66,
            _ => return None,
        };
        let curve = String::decode(&mut p).ok()?;
        let point = Vec::<u8>::decode(&mut p).ok()?;
        let scalar = Zeroizing::new(Vec::<u8>::decode(&mut p).ok()?);
        let comment = String::decode(&mut p).ok()?;
        if scalar.len() >= size || scalar.first().is_some_and(|b| b & 0x80 != 0) {
            return None;
        }
        let mut wide = Zeroizing::new(vec![0u8; size - scalar.len()]);
        wide.extend_from_slice(&scalar);
        // The private section again, padded 1, 2, 3, ... to the block size of "none" (8).
        let mut section = Zeroizing::new(Vec::new());
        check1.encode(&mut *section).ok()?;
        check2.encode(&mut *section).ok()?;
        for text in [&algorithm, &curve] {
            text.encode(&mut *section).ok()?;
        }
        point.encode(&mut *section).ok()?;
        wide.encode(&mut *section).ok()?;
        comment.encode(&mut *section).ok()?;
        let mut pad = 1u8;
        while section.len() % 8 != 0 {
            section.push(pad);
            pad += 1;
        }
        let mut out = Zeroizing::new(MAGIC.to_vec());
        cipher.encode(&mut *out).ok()?;
        kdf.encode(&mut *out).ok()?;
        kdf_options.encode(&mut *out).ok()?;
        count.encode(&mut *out).ok()?;
        public.encode(&mut *out).ok()?;
        section.encode(&mut *out).ok()?;
        PrivateKey::from_bytes(&out).ok()
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

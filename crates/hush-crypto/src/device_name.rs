//! Device names, sealed before they leave the device (docs/spec/crypto-v2.md, "Device names").
//!
//! The server lists an account's sessions so that the owner can revoke a lost device, but it
//! has no business knowing that one of them is "Alice's work laptop". The name is sealed under
//! a key derived from the account key alone: every device of the account holds it (it is in the
//! setup code), the server never does, and a password change does not make old names unreadable.

use hkdf::Hkdf;
use sha2::Sha256;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use zeroize::Zeroizing;

use crate::{AccountId, AccountKey, DecryptError, FORMAT_V2, aead};

/// Longest name, in bytes of UTF-8.
pub(crate) const MAX_NAME_BYTES: usize = 64;
/// Length of every sealed name: header (29) + padded plaintext (65) + tag (16); the server checks
/// the same constant, from hush-core.
pub const SEALED_NAME_LEN: usize = hush_core::SEALED_DEVICE_NAME_LEN;
const _: () = assert!(SEALED_NAME_LEN == aead::HEADER_LEN + 1 + MAX_NAME_BYTES + aead::TAG_LEN);

/// Why a device name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceNameError {
    /// Empty, or only spaces.
    #[error("a device name cannot be empty")]
    Empty,
    /// Longer than 64 bytes of UTF-8.
    #[error("a device name is at most 64 bytes long")]
    TooLong,
    /// A control or invisible format character (Unicode Cc or Cf): bidirectional overrides
    /// and isolates, zero-width characters, and the like, which make a listing lie.
    #[error("a device name cannot contain control or invisible formatting characters (such as U+{0:04X})")]
    Invisible(u32),
}

/// Checks a name against crypto-v2.md, "Device names": 1 to 64 bytes, no character of
/// Unicode general category Cc or Cf. Used before sealing and before displaying a name that
/// another device sealed.
pub fn check_device_name(name: &str) -> Result<(), DeviceNameError> {
    if name.trim().is_empty() {
        return Err(DeviceNameError::Empty);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(DeviceNameError::TooLong);
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c.general_category(), GeneralCategory::Control | GeneralCategory::Format))
    {
        return Err(DeviceNameError::Invisible(u32::from(c)));
    }
    Ok(())
}

/// The key that seals device names: `HKDF(salt = "hush/v2" || account_id, ikm = AK,
/// info = "hush/v2/device-name")`.
pub struct DeviceNameKey {
    key: Zeroizing<[u8; 32]>,
    account_id: AccountId,
}

impl DeviceNameKey {
    /// Derives the key of `account_id` from its account key.
    pub fn derive(account_id: &AccountId, account_key: &AccountKey) -> Self {
        let salt = [b"hush/v2".as_slice(), account_id.as_bytes()].concat();
        let hk = Hkdf::<Sha256>::new(Some(&salt), account_key.expose());
        let mut key = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA-256's output limit.
        hk.expand(b"hush/v2/device-name", key.as_mut()).expect("32-byte HKDF output");
        Self { key, account_id: *account_id }
    }

    fn aad(&self) -> Vec<u8> {
        [b"hush/v2/device-name".as_slice(), self.account_id.as_bytes()].concat()
    }

    /// Seals a checked name with a fresh nonce.
    pub fn seal(&self, name: &str) -> Result<Vec<u8>, DeviceNameError> {
        self.seal_with_nonce(name, &crate::random_array())
    }

    /// Seals with a given nonce: known-answer tests only.
    #[doc(hidden)]
    pub fn seal_with_nonce(&self, name: &str, nonce: &[u8; 24]) -> Result<Vec<u8>, DeviceNameError> {
        check_device_name(name)?;
        let mut plain = [0u8; 1 + MAX_NAME_BYTES];
        plain[0] = u8::try_from(name.len()).map_err(|_| DeviceNameError::TooLong)?;
        plain[1..=name.len()].copy_from_slice(name.as_bytes());
        Ok(aead::seal_with_nonce(FORMAT_V2, &self.key, 0, nonce, &plain, &self.aad()))
    }

    /// Opens a sealed name and checks it as [`check_device_name`] does, so that another
    /// device's (or a forged) name cannot put invisible characters on this one's screen.
    pub fn open(&self, sealed: &[u8]) -> Result<String, DecryptError> {
        if sealed.len() != SEALED_NAME_LEN {
            return Err(DecryptError);
        }
        let plain = aead::open(FORMAT_V2, &self.key, 0, sealed, &self.aad())?;
        let len = usize::from(plain[0]);
        if len > MAX_NAME_BYTES || plain[1 + len..].iter().any(|&b| b != 0) {
            return Err(DecryptError);
        }
        let name = std::str::from_utf8(&plain[1..=len]).map_err(|_| DecryptError)?.to_owned();
        check_device_name(&name).map_err(|_| DecryptError)?;
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_at_one_length_and_bind_the_account() {
        let ak = AccountKey::generate();
        let key = DeviceNameKey::derive(&AccountId([1; 16]), &ak);
        let short = key.seal("a").unwrap();
        let long = key.seal(&"é".repeat(32)).unwrap();
        assert_eq!(short.len(), SEALED_NAME_LEN);
        assert_eq!(long.len(), SEALED_NAME_LEN);
        assert_eq!(key.open(&short).unwrap(), "a");
        assert_eq!(key.open(&long).unwrap(), "é".repeat(32));
        let other_account = DeviceNameKey::derive(&AccountId([2; 16]), &ak);
        assert!(other_account.open(&short).is_err());
        let other_key = DeviceNameKey::derive(&AccountId([1; 16]), &AccountKey::generate());
        assert!(other_key.open(&short).is_err());
    }

    #[test]
    fn invisible_and_control_characters_are_refused() {
        for bad in
            ["evil\u{202E}txt", "a\u{2066}b", "zero\u{200B}width", "bell\u{7}", "new\nline", "bom\u{FEFF}"]
        {
            assert!(matches!(check_device_name(bad), Err(DeviceNameError::Invisible(_))), "{bad:?}");
        }
        assert_eq!(check_device_name("  "), Err(DeviceNameError::Empty));
        assert_eq!(check_device_name(&"x".repeat(65)), Err(DeviceNameError::TooLong));
        assert!(check_device_name("Alice's Pixel 9 — 日本").is_ok());
    }

    #[test]
    fn a_sealed_name_that_breaks_the_rules_does_not_open() {
        // A device that skips the check (or a forger with the key) cannot get a bidi override
        // displayed: open checks again.
        let key = DeviceNameKey::derive(&AccountId([1; 16]), &AccountKey::generate());
        let name = "x\u{202E}y";
        let mut plain = [0u8; 65];
        plain[0] = name.len() as u8;
        plain[1..=name.len()].copy_from_slice(name.as_bytes());
        let forged = aead::seal_with_nonce(FORMAT_V2, &key.key, 0, &[0; 24], &plain, &key.aad());
        assert!(key.open(&forged).is_err());
    }
}

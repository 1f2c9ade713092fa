//! Error types, one per kind of operation (as rage does).

use thiserror::Error;

/// A sealed structure could not be opened.
///
/// Deliberately opaque: a wrong key, a flipped bit, a truncated blob, a blob moved to
/// another item id or account and an unknown key version all look the same, so that
/// the error reveals nothing to whoever tampered with the data (docs/spec/crypto-v2.md, "Items" and "Keyset").
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[error("decryption failed: the data was tampered with, is corrupt, or the key is wrong")]
pub struct DecryptError;

/// A setup code could not be parsed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetupCodeError {
    /// The code does not start with `HUSH1-`.
    #[error("a setup code starts with \"HUSH1-\"; check that you copied all of it")]
    BadPrefix,
    /// The code contains characters outside Base32.
    #[error("the setup code contains characters that are not in its alphabet (A–Z, 2–7)")]
    BadCharacters,
    /// The code has the wrong number of characters.
    #[error("the setup code has the wrong length; check that you copied all of it")]
    BadLength,
    /// The checksum does not match: a character was mistyped.
    #[error("the setup code's checksum does not match: a character is mistyped")]
    BadChecksum,
}

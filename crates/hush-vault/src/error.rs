//! The vault's error type. Messages say what happened and what to do next.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong with the local vault.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum VaultError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// There is no vault yet.
    #[error("no vault at {0}; create one with `hush init` or fetch yours with `hush login`")]
    NotFound(PathBuf),
    /// `init` found an existing vault.
    #[error("a vault already exists at {0}; refusing to overwrite it")]
    AlreadyExists(PathBuf),
    /// The file is not a vault or is damaged; it is left untouched.
    #[error("the vault file is damaged ({0}); it was not modified. Restore vault.hush.bak if this persists")]
    Corrupt(String),
    /// A record of a newer format than this hush understands.
    #[error("the vault uses format version {0}, which this hush does not know; upgrade hush")]
    UnsupportedVersion(u8),
    /// The keyset did not open: wrong master password (or account key).
    #[error("wrong master password")]
    WrongPassword,
    /// An item or the sealed state failed to authenticate under the right key.
    #[error(
        "the vault failed to authenticate: it was modified outside hush, or is corrupt; it was not changed"
    )]
    Tampered,
    /// The account key file is missing or damaged.
    #[error("{0}")]
    AccountKey(String),
    /// The KDF refused its parameters.
    #[error(transparent)]
    Kdf(#[from] hush_crypto::KdfError),
}

impl VaultError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> VaultError {
        let path = path.into();
        move |source| VaultError::Io { path, source }
    }
}

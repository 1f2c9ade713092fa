//! Sync errors. Tampering is its own variant, never "not found" or a network error.

use thiserror::Error;

use crate::TransportError;

/// Why a sync, login or registration failed. In every case nothing local changed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The server's data failed verification: a blob altered or moved, an item
    /// dropped, a rollback, a fork, a keyset for other parameters.
    #[error("TAMPERING DETECTED: {0}. Nothing was changed locally; do not trust this server")]
    Tampered(String),
    /// The server offered KDF parameters below the floor or weaker than this device's.
    #[error("the server offered unsafe KDF parameters: {0}. Nothing was changed locally")]
    UnsafeParameters(String),
    /// Master password or setup code wrong (or the server lied about the parameters).
    #[error(
        "wrong master password or setup code (or the server sent other KDF parameters than your vault's)"
    )]
    WrongCredentials,
    /// The session is gone (logged out, revoked, or the password changed elsewhere).
    #[error(
        "this device's session is no longer valid (revoked, expired, or the master password changed on another device); run `hush login` again"
    )]
    SessionExpired,
    /// The vault is not connected to a server.
    #[error("this vault is not connected to a server; run `hush register` or `hush login` first")]
    NotConnected,
    /// Pushes kept conflicting with other devices.
    #[error("other devices kept changing the vault during the sync; try again")]
    TooManyConflicts,
    /// The server's URL is not acceptable.
    #[error("{0}")]
    Url(String),
    /// The server refused or could not be reached.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The local vault failed.
    #[error(transparent)]
    Vault(#[from] hush_vault::VaultError),
    /// The KDF refused its parameters.
    #[error(transparent)]
    Kdf(#[from] hush_crypto::KdfError),
}

impl SyncError {
    /// Maps a transport error, recognising an invalid session.
    pub fn from_call(err: TransportError) -> SyncError {
        if err.code() == Some(hush_proto::ErrorCode::Unauthorized) {
            SyncError::SessionExpired
        } else {
            SyncError::Transport(err)
        }
    }
}

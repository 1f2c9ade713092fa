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
    /// The server refused or could not be reached. A `?` on a [`TransportError`] never
    /// yields an `unauthorized` refusal here: that one becomes [`SyncError::SessionExpired`].
    #[error(transparent)]
    Transport(TransportError),
    /// The local vault failed.
    #[error(transparent)]
    Vault(#[from] hush_vault::VaultError),
    /// The KDF refused its parameters.
    #[error(transparent)]
    Kdf(#[from] hush_crypto::KdfError),
}

/// Recognises an invalid session once for every call, so that no call site can forget to.
///
/// This is safe for the unauthenticated calls too: the server answers `unauthorized` only
/// for a missing, unknown or expired bearer token (server/src/auth.rs), and register,
/// prelogin, challenge and login carry none; a failed login is `bad_signature` or
/// `bad_challenge` (sync-api-v1.md, "Sessions").
impl From<TransportError> for SyncError {
    fn from(err: TransportError) -> Self {
        if err.code() == Some(hush_proto::ErrorCode::Unauthorized) {
            SyncError::SessionExpired
        } else {
            SyncError::Transport(err)
        }
    }
}

impl SyncError {
    /// Maps a transport error, recognising an invalid session: the same as
    /// `SyncError::from`, kept for callers that name the mapping explicitly.
    pub fn from_call(err: TransportError) -> SyncError {
        SyncError::from(err)
    }
}

#[cfg(test)]
mod tests {
    use hush_proto::ErrorCode;

    use super::*;

    fn api(code: ErrorCode) -> TransportError {
        TransportError::Api { status: 401, code, message: String::new() }
    }

    #[test]
    fn only_an_unauthorized_refusal_means_the_session_expired() {
        assert!(matches!(SyncError::from(api(ErrorCode::Unauthorized)), SyncError::SessionExpired));
        // A failed login is the caller's to interpret (wrong password), not an expired session.
        for code in [ErrorCode::BadSignature, ErrorCode::BadChallenge] {
            assert!(matches!(SyncError::from(api(code)), SyncError::Transport(_)), "{code:?}");
        }
        let network = TransportError::Network("down".into());
        assert!(matches!(SyncError::from_call(network), SyncError::Transport(_)));
    }
}

//! Sync errors. Tampering is its own variant with a typed reason, never "not found", "session
//! expired" or a network error, so that callers and tests match on what the server did.

use hush_crypto::{HeadError, ItemId};
use thiserror::Error;

use crate::TransportError;

/// What a lying server was caught doing (docs/threat-model.md lists each with its test).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Tampering {
    /// The manifest does not extend the head this device accepted: a rollback, a fork, a
    /// joined fork or a replayed branch (crypto-v2.md, "What a device keeps and checks").
    #[error(transparent)]
    Head(#[from] HeadError),
    /// The server's revision counter went down.
    #[error("the server's revision went back from {held} to {got} (rollback)")]
    SeqWentBack {
        /// The seq this device last saw.
        held: u64,
        /// The served one.
        got: u64,
    },
    /// An item blob failed to authenticate under its id: altered, or moved from another id.
    #[error("item {item} failed to authenticate (altered, or moved from another id)")]
    ItemAuthentication {
        /// The item.
        item: ItemId,
    },
    /// A pulled item is older than this device's last-synced copy of it.
    #[error("item {item} went back from revision {held} to {got} (rollback of one item)")]
    ItemWentBack {
        /// The item.
        item: ItemId,
        /// The revision of this device's synced copy.
        held: u64,
        /// The served one.
        got: u64,
    },
    /// The manifest failed to authenticate (or is malformed inside).
    #[error("the manifest failed to authenticate")]
    ManifestAuthentication,
    /// No manifest, for an account that has one.
    #[error("the server has no manifest for a vault that has one")]
    ManifestMissing,
    /// The items do not add up to the manifest's digest.
    #[error("the server's items do not match its manifest: an item was dropped, altered or rolled back")]
    DigestMismatch,
    /// The keyset's header does not parse.
    #[error("the server's keyset is malformed")]
    KeysetMalformed,
    /// The pull names another key version than its keyset's header.
    #[error("the server claims key version {claimed} for a keyset of version {keyset}")]
    KeyVersionMismatch {
        /// What the pull says.
        claimed: u32,
        /// What the keyset says.
        keyset: u32,
    },
    /// An older keyset than this device holds: a replay from before a password change, which
    /// would bring an old password back to life.
    #[error("the server's keyset went back from key version {held} to {got} (an old password replayed)")]
    KeysetWentBack {
        /// The epoch this device holds.
        held: u32,
        /// The served one.
        got: u32,
    },
    /// Another keyset with the epoch this device holds.
    #[error("the server swapped the keyset of key version {key_version}")]
    KeysetSwapped {
        /// The epoch.
        key_version: u32,
    },
    /// The server's keyset does not hold the key this vault is sealed with.
    #[error("the server's keyset holds other vault keys than this vault's")]
    ForeignVaultKey,
    /// An account this device has just registered is not empty.
    #[error("the account just registered already holds data")]
    NewAccountNotEmpty,
    /// The server's KDF salt is not 16 bytes.
    #[error("the KDF salt is not 16 bytes")]
    MalformedSalt,
    /// The server serves this device's own keyset with other KDF parameters or another salt
    /// than it was sealed with (only a device that holds the keyset can tell; for a new device
    /// the keyset simply does not open).
    #[error("the server hands out KDF parameters or a salt that its keyset was not sealed with")]
    ParametersMismatch,
}

/// Why a sync, login or registration failed. In every case nothing local changed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The server's data failed verification.
    #[error("TAMPERING DETECTED: {0}")]
    Tampered(Tampering),
    /// The server offered KDF parameters below the floor or weaker than this device's.
    #[error("the server offered unsafe KDF parameters: {0}")]
    UnsafeParameters(String),
    /// Master password or setup code wrong (or the server lied about the parameters).
    #[error(
        "wrong master password or setup code (or the server sent other KDF parameters than your vault's)"
    )]
    WrongCredentials,
    /// The session is gone (logged out, revoked, or the password changed elsewhere).
    #[error(
        "this device's session is no longer valid (revoked, expired, or the master password changed on another device)"
    )]
    SessionExpired,
    /// The server holds a newer keyset: the password was changed on another device.
    #[error("the master password was changed on another device")]
    PasswordChanged,
    /// The vault is not connected to a server.
    #[error("this vault is not connected to a server")]
    NotConnected,
    /// Pushes kept conflicting with other devices.
    #[error("other devices kept changing the vault during the sync")]
    TooManyConflicts,
    /// The account's manifest already names the most devices a manifest can.
    #[error("the account has had {0} devices push to it, the most a manifest can name")]
    TooManyDevices(usize),
    /// The server's URL is not acceptable.
    #[error("{0}")]
    Url(String),
    /// A device name breaks the rules of crypto-v2.md, "Device names".
    #[error(transparent)]
    DeviceName(#[from] hush_crypto::DeviceNameError),
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

impl From<Tampering> for SyncError {
    fn from(t: Tampering) -> Self {
        SyncError::Tampered(t)
    }
}

impl From<HeadError> for SyncError {
    fn from(e: HeadError) -> Self {
        SyncError::Tampered(Tampering::Head(e))
    }
}

/// Recognises an invalid session once for every call, so that no call site can forget to.
///
/// This is safe for the unauthenticated calls too: the server answers `unauthorized` only
/// for a missing, unknown or expired bearer token (server/src/auth.rs), and register,
/// prelogin, challenge and login carry none; a failed login is `bad_signature` or
/// `bad_challenge` (sync-api-v2.md, "Sessions").
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
    /// Whether the server was caught lying.
    pub fn is_tampering(&self) -> bool {
        matches!(self, SyncError::Tampered(_))
    }

    /// The tampering, if that is what this is.
    pub fn tampering(&self) -> Option<&Tampering> {
        match self {
            SyncError::Tampered(t) => Some(t),
            _ => None,
        }
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
        assert!(matches!(SyncError::from(network), SyncError::Transport(_)));
    }
}

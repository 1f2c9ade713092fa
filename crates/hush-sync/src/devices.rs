//! The account's sessions as the owner's devices see them: listing (with the names unsealed),
//! revoking one, logging out, and deleting the account (docs/spec/sync-api-v2.md, "Sessions"
//! and "Accounts"). The CLI calls these and never builds a wire request itself.

use hush_crypto::{AccountId, AccountKey, AuthKey, DeviceNameKey, delete_account_message};
use hush_proto as proto;
use hush_vault::local_state::LocalState;
use jiff::Timestamp;

use crate::{SyncError, Transport};

/// One session of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The session's id.
    pub id: proto::SessionId,
    /// Its name, unsealed; `None` if it has none (a session from before names were sealed)
    /// or its sealed name does not open (which only a forger could cause).
    pub name: Option<String>,
    /// When it logged in.
    pub created: Timestamp,
    /// When it was last used.
    pub last_seen: Timestamp,
    /// Whether it is this device's session.
    pub current: bool,
}

fn token(state: &LocalState) -> Result<proto::SessionToken, SyncError> {
    let sync = state.sync.as_ref().ok_or(SyncError::NotConnected)?;
    Ok(proto::SessionToken::new(sync.token.clone()))
}

/// Lists the account's sessions, oldest first, with their names unsealed.
pub fn list(
    state: &LocalState,
    account_id: &AccountId,
    account_key: &AccountKey,
    transport: &dyn Transport,
) -> Result<Vec<Device>, SyncError> {
    let key = DeviceNameKey::derive(account_id, account_key);
    let list = transport.sessions(&token(state)?)?;
    Ok(list
        .sessions
        .into_iter()
        .map(|s| Device {
            id: s.id,
            name: s.device_name.and_then(|sealed| key.open(sealed.as_bytes()).ok()),
            created: s.created,
            last_seen: s.last_seen,
            current: s.current,
        })
        .collect())
}

/// Why a device query did not name exactly one session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceQueryError {
    /// Nothing matches.
    #[error("no device matches {0:?}")]
    NoMatch(String),
    /// Several match.
    #[error("{query:?} matches several devices: {candidates}")]
    Ambiguous {
        /// The query.
        query: String,
        /// Their ids and names.
        candidates: String,
    },
}

/// The one device whose name is `query` (exactly, else without regard to case) or whose id
/// starts with `query` (at least 4 hex digits).
pub fn find<'a>(devices: &'a [Device], query: &str) -> Result<&'a Device, DeviceQueryError> {
    let by_name = |exact: bool| -> Vec<&Device> {
        devices
            .iter()
            .filter(|d| {
                d.name
                    .as_deref()
                    .is_some_and(|n| if exact { n == query } else { n.eq_ignore_ascii_case(query) })
            })
            .collect()
    };
    let mut found = by_name(true);
    if found.is_empty() {
        found = by_name(false);
    }
    if found.is_empty() && query.len() >= 4 {
        let prefix = query.to_ascii_lowercase();
        found = devices.iter().filter(|d| d.id.to_string().starts_with(&prefix)).collect();
    }
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(DeviceQueryError::NoMatch(query.to_owned())),
        many => Err(DeviceQueryError::Ambiguous {
            query: query.to_owned(),
            candidates: many
                .iter()
                .map(|d| format!("{} ({})", d.id, d.name.as_deref().unwrap_or("unnamed")))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Revokes one session of the account.
pub fn revoke(
    state: &LocalState,
    transport: &dyn Transport,
    session: &proto::SessionId,
) -> Result<(), SyncError> {
    Ok(transport.revoke(&token(state)?, session)?)
}

/// Ends this device's session on the server and forgets it locally. What this device accepted
/// of the account's history stays, and so does the server and device name it connected with
/// (`LocalState::last_server`, for the next `hush login`) (sync-api-v2.md, "Verifying a pull"). Returns the server's
/// refusal, if any, as a note: the session may already be gone, and forgetting it locally is
/// what matters.
pub fn logout(state: &mut LocalState, transport: &dyn Transport) -> Option<SyncError> {
    let result = token(state).and_then(|t| Ok(transport.logout(&t)?));
    state.sync = None;
    result.err()
}

/// Deletes the account and everything it stored on the server, proving the current master
/// password with a signature over a fresh challenge, then forgets the session locally.
pub fn delete_account(
    state: &mut LocalState,
    account_id: &AccountId,
    auth: &AuthKey,
    transport: &dyn Transport,
) -> Result<(), SyncError> {
    let token = token(state)?;
    let challenge = transport.challenge(account_id)?;
    let signature = auth.sign(&delete_account_message(account_id, challenge.challenge.as_bytes()));
    let req = proto::DeleteAccountRequest {
        challenge: challenge.challenge,
        signature: proto::Signature::from(signature),
    };
    transport.delete_account(&token, &req)?;
    state.sync = None;
    // There is nothing to log in to any more: `hush login` must not offer this server.
    state.last_server = None;
    Ok(())
}

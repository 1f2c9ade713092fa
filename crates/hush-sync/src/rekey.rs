//! A master password change on a connected vault (docs/spec/crypto-v2.md, "Password change and
//! key rotation"; docs/sync.md, "Password change").
//!
//! The order makes every failure safe: catch up with the server under the old keys; prepare the
//! change on a copy of the vault; let the server accept the new keyset (signed with the *old*
//! auth key, and only if nothing landed since); only then adopt the copy; and push the items
//! sealed again under the new key. If the server refuses, nothing changed anywhere; if the last
//! push fails, the re-sealed items stay queued for the next sync and the caller must still save.

use hush_crypto::{AccountKey, AuthKey, FloorPolicy, KdfParams, KdfSalt, derive_keys, rekey_message};
use hush_proto as proto;
use hush_vault::Vault;

use crate::sync::{PushNumbers, SyncReport, sync, token_of};
use crate::{SyncError, Transport};

/// How many times the rekey is retried after other devices pushed in between.
const MAX_ATTEMPTS: usize = 8;

/// What a password change that the server accepted did next.
#[derive(Debug)]
pub struct PasswordChange {
    /// The push of the re-sealed items: `Err` leaves them queued for the next sync (the
    /// password change itself is done, on the server and in `vault`, either way).
    pub push: Result<SyncReport, SyncError>,
}

/// The new master password's parameters.
#[derive(Debug, Clone, Copy)]
pub struct NewPassword<'a> {
    /// The new master password.
    pub password: &'a str,
    /// Its KDF parameters.
    pub params: KdfParams,
    /// Whether parameters below the floor are accepted (tests only).
    pub policy: FloorPolicy,
}

/// Changes the master password of a connected vault: see the module documentation. `old_auth`
/// is the auth key of the current password, which the server checks the change against.
/// `Err` means nothing changed, locally or on the server.
pub fn change_password(
    vault: &mut Vault,
    transport: &dyn Transport,
    old_auth: &AuthKey,
    account_key: &AccountKey,
    new: NewPassword<'_>,
    numbers: &mut dyn PushNumbers,
    now: i64,
) -> Result<PasswordChange, SyncError> {
    // The KDF runs once, whatever the retries.
    let salt = KdfSalt::random();
    let keys = derive_keys(new.password, &salt, &new.params, &vault.account_id(), account_key, new.policy)?;
    for _ in 0..MAX_ATTEMPTS {
        sync(vault, transport, numbers, now)?;
        let mut next = vault.clone();
        next.apply_password_change(&keys.kek, salt, new.params);
        let header = next.header().clone();
        let base_seq = next.state().sync.as_ref().ok_or(SyncError::NotConnected)?.seq;
        let new_public = keys.auth.public_key();
        let req = proto::RekeyRequest {
            base_seq,
            kdf: proto::KdfParams {
                m_kib: header.m_kib,
                t: header.t,
                p: header.p,
                salt: proto::B64::new(header.salt.to_vec()),
            },
            auth_public_key: proto::AuthPublicKey::from(new_public),
            keyset: proto::B64::new(header.keyset.clone()),
            signature: proto::Signature::from(old_auth.sign(&rekey_message(
                &vault.account_id(),
                &new_public,
                &header.keyset,
            ))),
        };
        match transport.rekey(&token_of(vault)?, &req) {
            Ok(seq) => {
                *vault = next;
                let account = vault.account_id();
                let key_version = vault.header().key_version;
                if let Some(sync) = vault.state_mut().sync.as_mut() {
                    sync.seq = seq;
                }
                let accepted = vault.state_mut().accepted.entry(account).or_default();
                accepted.keyset_version = accepted.keyset_version.max(key_version);
                return Ok(PasswordChange { push: sync(vault, transport, numbers, now) });
            }
            // Another device pushed in between: catch up and try again.
            Err(e) if e.code() == Some(proto::ErrorCode::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(SyncError::TooManyConflicts)
}

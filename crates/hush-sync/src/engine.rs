//! The sync engine: pull → verify → merge → push (DESIGN.md, "Sync"; crypto-v1.md,
//! "Manifest").
//!
//! Every pull is verified before anything is applied: each blob must authenticate
//! under its own id, the manifest must authenticate, its counter must not go back
//! (rollback) nor repeat with another digest (fork), and its digest must match the
//! server's item set as this device now knows it. Any failure is `Tampered`, and the
//! caller saves nothing. The engine works on an in-memory `Vault`; the caller writes
//! the file only after success.

use std::collections::BTreeMap;

use hush_crypto::{
    AccountId, AuthKey, DecryptError, DerivedKeys, FloorPolicy, ItemId, KdfParams, KdfSalt, Keyset,
    KeysetContext, Manifest, ManifestDigest, ManifestPayload, blob_hash, login_message, rekey_message,
};
use hush_proto as proto;
use hush_vault::state::SyncState;
use hush_vault::{FileHeader, Item, Vault};
use zeroize::Zeroizing;

use crate::merge::merge_items;
use crate::{PushOutcome, SyncError, Transport};

/// How many times a push is retried after conflicts before giving up.
const MAX_ATTEMPTS: usize = 8;

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Items changed on the server and taken as they were.
    pub received: Vec<ItemId>,
    /// Items changed on both sides and merged.
    pub merged: Vec<ItemId>,
    /// Items pushed.
    pub pushed: Vec<ItemId>,
    /// The account's `seq` afterwards.
    pub seq: u64,
}

fn proto_account(id: &AccountId) -> proto::AccountId {
    proto::AccountId::from_bytes(id.0)
}

fn token_of(vault: &Vault) -> Result<proto::SessionToken, SyncError> {
    let sync = vault.state().sync.as_ref().ok_or(SyncError::NotConnected)?;
    Ok(proto::SessionToken::new(sync.token.clone()))
}

/// The server's item set as this device knows it: the last-synced blob of every item
/// (for an item with pending local edits, its merge base; a new local item is not on
/// the server yet). Returned as blob hashes, as the manifest digest wants them; the
/// synced blobs' hashes come from the vault's index rather than hashing every blob
/// again (docs/benchmarks.md, C4).
fn server_view(vault: &Vault) -> BTreeMap<ItemId, [u8; 32]> {
    let state = vault.state();
    let mut view = BTreeMap::new();
    for id in vault.entries().keys() {
        if state.pending.contains(&id.0) {
            if let Some(base) = state.base.get(&id.0) {
                view.insert(*id, blob_hash(base));
            }
        } else if let Some(hash) = vault.blob_hash(id) {
            view.insert(*id, hash);
        }
    }
    view
}

/// A pull that passed every check, ready to apply.
struct VerifiedPull {
    seq: u64,
    manifest: Option<ManifestPayload>,
    items: Vec<(ItemId, Vec<u8>, Item)>,
}

/// Checks a pull against everything this device knows. Changes nothing.
fn verify_pull(vault: &Vault, pull: proto::PullResponse) -> Result<VerifiedPull, SyncError> {
    let sync = vault.state().sync.as_ref().ok_or(SyncError::NotConnected)?;
    if pull.seq < sync.seq {
        return Err(SyncError::Tampered(format!(
            "the server's history went back from revision {} to {} (rollback)",
            sync.seq, pull.seq
        )));
    }
    if pull.key_version != vault.header().key_version {
        return Err(SyncError::Tampered(format!(
            "the server claims key version {}, this vault has {}",
            pull.key_version,
            vault.header().key_version
        )));
    }
    if pull.keyset.as_bytes() != vault.header().keyset.as_slice() {
        // The master password was changed on another device (which also revokes this
        // session), or the server swapped the keyset: either way, log in again.
        return Err(SyncError::SessionExpired);
    }
    let mut view = server_view(vault);
    let mut items = Vec::with_capacity(pull.items.len());
    for pulled in pull.items {
        let id = ItemId(*pulled.id.as_bytes());
        let blob = pulled.blob.into_bytes();
        let item = vault.decrypt(&id, &blob).map_err(|_| {
            SyncError::Tampered(format!(
                "item {id} failed to authenticate (altered, or moved from another id)"
            ))
        })?;
        view.insert(id, blob_hash(&blob));
        items.push((id, blob, item));
    }
    let manifest = match pull.manifest {
        None => {
            if !view.is_empty() || sync.manifest_counter > 0 {
                return Err(SyncError::Tampered(
                    "the server has no manifest for a vault that has one".into(),
                ));
            }
            None
        }
        Some(blob) => {
            let payload = Manifest::open(
                vault.vault_key(),
                &vault.account_id(),
                vault.header().key_version,
                blob.as_bytes(),
            )
            .map_err(|DecryptError| SyncError::Tampered("the manifest failed to authenticate".into()))?;
            if payload.counter < sync.manifest_counter {
                return Err(SyncError::Tampered(format!(
                    "the manifest went back from push {} to {} (rollback)",
                    sync.manifest_counter, payload.counter
                )));
            }
            if payload.counter == sync.manifest_counter && payload.digest.0 != sync.manifest_digest {
                return Err(SyncError::Tampered(format!(
                    "two different vault states carry push number {} (fork)",
                    payload.counter
                )));
            }
            if ManifestDigest::from_blob_hashes(view.iter().map(|(id, h)| (*id, *h))) != payload.digest {
                return Err(SyncError::Tampered(
                    "the server's items do not match its manifest: an item was dropped, altered or rolled back".into(),
                ));
            }
            Some(payload)
        }
    };
    Ok(VerifiedPull { seq: pull.seq, manifest, items })
}

/// Applies a verified pull: items with no local edits are taken; items edited on
/// both sides are merged and stay pending, with the remote version as their new base.
fn apply_pull(
    vault: &mut Vault,
    pull: VerifiedPull,
    now: i64,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    for (id, blob, remote) in pull.items {
        // Only an item with pending local edits needs its local version (to merge); the
        // clone is skipped for the common case of an item this device has not touched.
        let local = if vault.state().pending.contains(&id.0) {
            vault.entries().get(&id).map(|e| e.item.clone())
        } else {
            None
        };
        match local {
            Some(local) => {
                let base = match vault.state().base.get(&id.0) {
                    Some(b) => Some(vault.decrypt(&id, b)?),
                    None => None,
                };
                let merged = merge_items(base.as_ref(), &local, &remote, now);
                vault.put_decrypted(id, blob, remote);
                vault.put(id, merged);
                report.merged.push(id);
            }
            None => {
                // `remote` was decrypted from `blob` by verify_pull.
                vault.put_decrypted(id, blob, remote);
                report.received.push(id);
            }
        }
    }
    let sync = vault.state_mut().sync.as_mut().ok_or(SyncError::NotConnected)?;
    sync.seq = pull.seq;
    if let Some(m) = pull.manifest {
        sync.manifest_counter = m.counter;
        sync.manifest_digest = m.digest.0;
    }
    report.seq = pull.seq;
    Ok(())
}

/// Pushes every pending item with a new manifest. Returns the outcome.
fn push_pending(
    vault: &mut Vault,
    transport: &dyn Transport,
    report: &mut SyncReport,
) -> Result<PushOutcome, SyncError> {
    let pending: Vec<ItemId> = vault.state().pending.iter().map(|b| ItemId(*b)).collect();
    let sync = vault.state().sync.as_ref().ok_or(SyncError::NotConnected)?;
    let (base_seq, counter) = (sync.seq, sync.manifest_counter + 1);
    let mut view = server_view(vault);
    let mut items = Vec::with_capacity(pending.len());
    for id in &pending {
        let blob = &vault.entries()[id].blob;
        view.insert(*id, blob_hash(blob));
        items.push(proto::PushedItem {
            id: proto::ItemId::from_bytes(id.0),
            blob: proto::B64::new(blob.clone()),
        });
    }
    let digest = ManifestDigest::from_blob_hashes(view);
    let payload = ManifestPayload { counter, digest };
    let manifest =
        Manifest::seal(vault.vault_key(), &vault.account_id(), vault.header().key_version, &payload);
    let req = proto::PushRequest { base_seq, manifest: proto::B64::new(manifest), items };
    let outcome = transport.push(&token_of(vault)?, &req)?;
    if let PushOutcome::Accepted(seq) = outcome {
        let state = vault.state_mut();
        state.pending.clear();
        state.base.clear();
        let sync = state.sync.as_mut().ok_or(SyncError::NotConnected)?;
        sync.seq = seq;
        sync.manifest_counter = counter;
        sync.manifest_digest = digest.0;
        report.pushed = pending;
        report.seq = seq;
    }
    Ok(outcome)
}

/// Pulls, verifies, merges and pushes until the server accepts or nothing is left.
pub fn sync(vault: &mut Vault, transport: &dyn Transport, now: i64) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    for _ in 0..MAX_ATTEMPTS {
        let since = vault.state().sync.as_ref().ok_or(SyncError::NotConnected)?.seq;
        let pull = transport.pull(&token_of(vault)?, since)?;
        let verified = verify_pull(vault, pull)?;
        apply_pull(vault, verified, now, &mut report)?;
        if vault.state().pending.is_empty() {
            return Ok(report);
        }
        match push_pending(vault, transport, &mut report)? {
            PushOutcome::Accepted(_) => return Ok(report),
            PushOutcome::Conflict(_) => continue,
        }
    }
    Err(SyncError::TooManyConflicts)
}

/// Signs a challenge and opens a session.
pub fn open_session(
    transport: &dyn Transport,
    account_id: &AccountId,
    auth: &AuthKey,
    device_name: &str,
) -> Result<proto::LoginResponse, SyncError> {
    let account = proto_account(account_id);
    let challenge = transport.challenge(&account)?;
    let signature = auth.sign(&login_message(account_id, challenge.challenge.as_bytes()));
    let req = proto::LoginRequest {
        account_id: account,
        challenge: challenge.challenge,
        signature: proto::Signature::from(signature),
        device_name: device_name.to_owned(),
    };
    Ok(transport.login(&req)?)
}

fn connect(vault: &mut Vault, server_url: &str, login: &proto::LoginResponse, auto_sync: bool) {
    let previous = vault.state().sync.clone().filter(|s| s.server_url == server_url);
    // Re-logging in to the same server keeps what this device has seen, so a server
    // cannot use a new session to roll the vault back.
    let (seq, manifest_counter, manifest_digest) =
        previous.as_ref().map_or((0, 0, [0; 32]), |p| (p.seq, p.manifest_counter, p.manifest_digest));
    vault.state_mut().sync = Some(SyncState {
        server_url: server_url.to_owned(),
        token: login.token.expose().to_owned(),
        session_id: login.session_id.to_string(),
        seq,
        manifest_counter,
        manifest_digest,
        auto_sync: previous.as_ref().map_or(auto_sync, |p| p.auto_sync),
        insecure_http: previous.is_some_and(|p| p.insecure_http),
    });
}

fn proto_kdf(header: &FileHeader) -> proto::KdfParams {
    proto::KdfParams {
        m_kib: header.m_kib,
        t: header.t,
        p: header.p,
        salt: proto::B64::new(header.salt.to_vec()),
    }
}

/// Creates the account on the server from this vault and pushes everything.
/// `keys` must be the vault's current keys (the caller has just derived them).
pub fn register(
    vault: &mut Vault,
    transport: &dyn Transport,
    keys: &DerivedKeys,
    invite: Option<&str>,
    server_url: &str,
    device_name: &str,
    now: i64,
) -> Result<SyncReport, SyncError> {
    let header = vault.header().clone();
    let req = proto::RegisterRequest {
        account_id: proto_account(&vault.account_id()),
        kdf: proto_kdf(&header),
        auth_public_key: proto::AuthPublicKey::from(keys.auth.public_key()),
        keyset: proto::B64::new(header.keyset.clone()),
        registration_code: invite.map(proto::RegistrationCode::new),
    };
    transport.register(&req)?;
    let login = open_session(transport, &vault.account_id(), &keys.auth, device_name)?;
    vault.state_mut().sync = None;
    connect(vault, server_url, &login, false);
    // Everything is new to the server.
    let ids: Vec<[u8; 16]> = vault.entries().keys().map(|id| id.0).collect();
    let state = vault.state_mut();
    state.base.clear();
    state.pending.extend(ids);
    sync(vault, transport, now)
}

/// Fetches and checks the KDF parameters the server holds for an account.
fn prelogin(
    transport: &dyn Transport,
    account_id: &AccountId,
    policy: FloorPolicy,
    held: Option<KdfParams>,
) -> Result<(KdfParams, KdfSalt), SyncError> {
    let pre = transport.prelogin(&proto_account(account_id))?;
    let params = KdfParams { m_kib: pre.kdf.m_kib, t: pre.kdf.t, p: pre.kdf.p };
    params.check(policy).map_err(|e| SyncError::UnsafeParameters(e.to_string()))?;
    if let Some(held) = held
        && params.is_weaker_than(&held)
    {
        return Err(SyncError::UnsafeParameters(format!(
            "m={} KiB, t={} is weaker than the m={} KiB, t={} this device holds",
            params.m_kib, params.t, held.m_kib, held.t
        )));
    }
    let salt = KdfSalt(
        pre.kdf
            .salt
            .as_bytes()
            .try_into()
            .map_err(|_| SyncError::Tampered("the KDF salt is not 16 bytes".into()))?,
    );
    Ok((params, salt))
}

/// How a login identifies itself and what it accepts.
#[derive(Debug, Clone, Copy)]
pub struct LoginOptions<'a> {
    /// The server's base URL, remembered in the vault.
    pub server_url: &'a str,
    /// The name the server lists for this device.
    pub device_name: &'a str,
    /// Whether KDF parameters below the floor are accepted (tests only).
    pub policy: FloorPolicy,
    /// The current time (Unix seconds), for merge notes.
    pub now: i64,
}

/// What a successful login yields before anything local is touched.
struct Authenticated {
    login: proto::LoginResponse,
    /// The first pull (from the `since` given to [`authenticate`]), not yet verified.
    pull: proto::PullResponse,
    /// The vault key unwrapped from the server's keyset.
    vk: hush_crypto::VaultKey,
    /// The header this device should hold: the server's parameters, salt and keyset.
    header: FileHeader,
}

/// Prelogin (parameters checked before any KDF), key derivation, a signed session,
/// the first pull, and the keyset unwrapped with the derived kek.
///
/// Every pull carries the keyset and key version whatever its `since` (sync-api-v1.md,
/// "Vault"), so `since` only decides which items come along: 0 for a new device, which
/// needs them all, and `u64::MAX` for a device that will sync right after, which needs
/// none (the server answers "nothing changed" for a `since` beyond its seq).
fn authenticate(
    transport: &dyn Transport,
    account_id: &AccountId,
    account_key: &hush_crypto::AccountKey,
    password: &str,
    held: Option<KdfParams>,
    since: u64,
    opts: &LoginOptions<'_>,
) -> Result<Authenticated, SyncError> {
    let (params, salt) = prelogin(transport, account_id, opts.policy, held)?;
    let keys = hush_crypto::derive_keys(password, &salt, &params, account_id, account_key, opts.policy)?;
    let login = open_session(transport, account_id, &keys.auth, opts.device_name).map_err(|e| match e {
        SyncError::Transport(t) if t.code() == Some(proto::ErrorCode::BadSignature) => {
            SyncError::WrongCredentials
        }
        e => e,
    })?;
    let token = proto::SessionToken::new(login.token.expose().to_owned());
    let pull = transport.pull(&token, since)?;
    let ctx = KeysetContext { account_id: *account_id, params, salt, key_version: pull.key_version };
    let keyset = Keyset(pull.keyset.as_bytes().to_vec());
    // A keyset sealed for other parameters than the server handed out does not open:
    // indistinguishable from a wrong password by design (the parameters are in its AAD).
    let vk = keyset.open(&keys.kek, &ctx).map_err(|_| SyncError::WrongCredentials)?;
    let header = FileHeader::new(&ctx, keyset);
    Ok(Authenticated { login, pull, vk, header })
}

/// Logs in on a new device: fetches the keyset and items, verifies them, and
/// returns the new vault (which the caller writes together with the account key).
pub fn login_new_device(
    transport: &dyn Transport,
    account_id: &AccountId,
    account_key: &hush_crypto::AccountKey,
    password: &str,
    opts: LoginOptions<'_>,
) -> Result<(Vault, SyncReport), SyncError> {
    let auth = authenticate(transport, account_id, account_key, password, None, 0, &opts)?;
    let mut vault = Vault::from_parts(auth.header, auth.vk);
    connect(&mut vault, opts.server_url, &auth.login, false);
    let mut report = SyncReport::default();
    let verified = verify_pull(&vault, auth.pull)?;
    apply_pull(&mut vault, verified, opts.now, &mut report)?;
    Ok((vault, report))
}

/// Logs in again on a device that has the vault (a new session, e.g. after the
/// password changed on another device). Only the *current* master password is
/// needed: the server's keyset, opened with it, must yield the very vault key that
/// authenticates the local file — otherwise the server is lying.
pub fn login_existing(
    file: &hush_vault::VaultFile,
    transport: &dyn Transport,
    account_key: &hush_crypto::AccountKey,
    password: &str,
    opts: LoginOptions<'_>,
) -> Result<(Vault, SyncReport), SyncError> {
    // The server cannot talk this device down to weaker parameters than it holds.
    let held = if file.header.insecure_kdf { None } else { Some(file.header.params()) };
    // Only the keyset and key version of this pull are used: the sync below pulls the
    // items from this device's own seq and verifies them, so asking for none here saves
    // downloading the whole vault only to throw it away.
    let auth =
        authenticate(transport, &file.header.account_id(), account_key, password, held, u64::MAX, &opts)?;
    let mut vault = Vault::open(file, auth.vk).map_err(|e| match e {
        hush_vault::VaultError::Tampered => {
            SyncError::Tampered("the server's keyset holds another vault key than this vault's".into())
        }
        e => SyncError::Vault(e),
    })?;
    vault.set_header(auth.header);
    connect(&mut vault, opts.server_url, &auth.login, false);
    let report = sync(&mut vault, transport, opts.now)?;
    Ok((vault, report))
}

/// Tells the server about a master password change already applied to `vault`
/// (new keyset and salt in its header): signed with the *old* auth key.
pub fn rekey(
    vault: &mut Vault,
    transport: &dyn Transport,
    old_auth: &AuthKey,
    new_auth_public: [u8; 32],
    now: i64,
) -> Result<(), SyncError> {
    let header = vault.header().clone();
    for _ in 0..MAX_ATTEMPTS {
        let sync_state = vault.state().sync.as_ref().ok_or(SyncError::NotConnected)?;
        let base_seq = sync_state.seq;
        let signature = old_auth.sign(&rekey_message(&vault.account_id(), &new_auth_public, &header.keyset));
        let req = proto::RekeyRequest {
            base_seq,
            kdf: proto_kdf(&header),
            auth_public_key: proto::AuthPublicKey::from(new_auth_public),
            keyset: proto::B64::new(header.keyset.clone()),
            signature: proto::Signature::from(signature),
        };
        match transport.rekey(&token_of(vault)?, &req) {
            Ok(seq) => {
                if let Some(s) = vault.state_mut().sync.as_mut() {
                    s.seq = seq;
                }
                return Ok(());
            }
            Err(e) if e.code() == Some(proto::ErrorCode::Conflict) => {
                // Catch up first; the pull carries the old keyset, so compare against it.
                sync_with_keyset(vault, transport, now, &header)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(SyncError::TooManyConflicts)
}

/// A sync during a rekey, while the server still holds the old keyset.
fn sync_with_keyset(
    vault: &mut Vault,
    transport: &dyn Transport,
    now: i64,
    new: &FileHeader,
) -> Result<(), SyncError> {
    let pull = transport.pull(&token_of(vault)?, vault.state().sync.as_ref().map_or(0, |s| s.seq))?;
    let mut old = new.clone();
    old.keyset = pull.keyset.as_bytes().to_vec();
    vault.set_header(old);
    let result = sync(vault, transport, now);
    vault.set_header(new.clone());
    result.map(|_| ())
}

/// The session token, for device management commands.
pub fn session_token(vault: &Vault) -> Result<Zeroizing<String>, SyncError> {
    Ok(Zeroizing::new(token_of(vault)?.expose().to_owned()))
}

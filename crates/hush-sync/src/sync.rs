//! The sync loop: pull → verify → apply → push (docs/sync.md, "A sync, step by step").
//!
//! Every pull is verified in full before anything of it is applied ([`crate::verify`]). The
//! engine works on an in-memory `Vault`; the caller writes the file only after success, so a
//! sync that fails, for tampering or anything else, changes nothing on disk.

use hush_crypto::{
    DeviceId, Head, ItemId, MAX_WRITERS, Manifest, ManifestDigest, ManifestPayload, blob_hash,
};
use hush_proto as proto;
use hush_vault::Vault;

use crate::merge::{Undone, deletion_undone, merge_items};
use crate::verify::{VerifiedPull, server_view, verify_pull};
use crate::{PushOutcome, SyncError, Transport};

/// How many times a push is retried after conflicts before giving up.
const MAX_ATTEMPTS: usize = 8;

/// The largest item blob a push carries: the server's default per-blob limit
/// (docs/spec/sync-api-v2.md, "Limits"). A larger one (only a merge can grow an item past the
/// limit that `add`, `edit` and `import` enforce) stays pending and is reported, so that it can
/// never block the sync of the other items.
pub const MAX_PUSHED_BLOB: usize = 256 * 1024;

/// Where a device reserves the numbers of its pushes (docs/spec/crypto-v2.md, "Push numbers").
///
/// A push number must be above every number this device ever sent, whatever the server
/// answered and even if the device crashed right after sending, so it is reserved durably
/// *before* the push is sent: a device that forgot a push the server stored (told it failed, or
/// crashed) must not send another push under the same or a lower number, or a branch grown from
/// the forgotten copy could pass for a successor and drop the retry.
pub trait PushNumbers {
    /// A number above `above` and above every number reserved before, already durable when this
    /// returns.
    fn reserve(&mut self, above: u64) -> Result<u64, SyncError>;
}

/// Push numbers kept in memory: for tests, and for a device whose counter lives as long as it does.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MemoryPushNumbers(pub u64);

impl PushNumbers for MemoryPushNumbers {
    fn reserve(&mut self, above: u64) -> Result<u64, SyncError> {
        self.0 = self.0.max(above) + 1;
        Ok(self.0)
    }
}

/// Push numbers kept in the profile's `push-numbers` file, as the CLI keeps them.
impl PushNumbers for hush_vault::Profile {
    fn reserve(&mut self, above: u64) -> Result<u64, SyncError> {
        Ok(self.reserve_push_number(above)?)
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Items changed on the server and taken as they were.
    pub received: Vec<ItemId>,
    /// Items changed on both sides and merged.
    pub merged: Vec<ItemId>,
    /// Items pushed.
    pub pushed: Vec<ItemId>,
    /// Items too large to push, with their blob size; they stay pending.
    pub held_back: Vec<(ItemId, usize)>,
    /// Items deleted (or moved to the trash) on one device and edited on another, which the
    /// merge kept (docs/sync.md, "Merge rules"): the CLI names each, so that an item deleted on
    /// purpose does not come back unnoticed.
    pub undeleted: Vec<Undeleted>,
    /// The account's `seq` afterwards.
    pub seq: u64,
    /// The head this device accepted (its fingerprint is what `hush status` shows).
    pub head: Option<Head>,
}

/// A deletion that a concurrent edit undid ([`SyncReport::undeleted`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undeleted {
    /// The item.
    pub id: ItemId,
    /// Its name after the merge.
    pub name: String,
    /// Whose deletion was undone: this device's, or another's.
    pub undone: Undone,
}

pub(crate) fn token_of(vault: &Vault) -> Result<proto::SessionToken, SyncError> {
    let sync = vault.state().sync.as_ref().ok_or(SyncError::NotConnected)?;
    Ok(proto::SessionToken::new(sync.token.clone()))
}

/// Records what this device now accepts of its account's history: a head (pulled and verified,
/// or its own acknowledged push) and a keyset epoch. Epochs only grow.
fn accept(vault: &mut Vault, head: Option<Head>, keyset_version: u32) {
    let account = vault.account_id();
    let entry = vault.state_mut().accepted.entry(account).or_default();
    if head.is_some() {
        entry.head = head;
    }
    entry.keyset_version = entry.keyset_version.max(keyset_version);
}

/// Applies a verified pull: items with no local edits are taken; items edited on both sides
/// are merged and stay pending, with the remote version as their new base.
pub(crate) fn apply_pull(
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
                if let Some(undone) = deletion_undone(base.as_ref(), &local, &remote, &merged) {
                    report.undeleted.push(Undeleted { id, name: merged.name.clone(), undone });
                }
                // A merge that only reproduces the server's item (the same edit made on both
                // sides, or every item after a reset of trust) has nothing to push.
                let nothing_new = crate::merge::same_content(&merged, &remote);
                vault.put_decrypted(id, blob, remote);
                if !nothing_new {
                    vault.put(id, merged);
                    report.merged.push(id);
                } else {
                    report.received.push(id);
                }
            }
            None => {
                // `remote` was decrypted from `blob` by verify_pull.
                vault.put_decrypted(id, blob, remote);
                report.received.push(id);
            }
        }
    }
    vault.state_mut().sync.as_mut().ok_or(SyncError::NotConnected)?.seq = pull.seq;
    accept(vault, pull.head, pull.keyset_version);
    report.seq = pull.seq;
    report.head = vault.state().accepted(&vault.account_id()).head;
    Ok(())
}

/// Pushes every pending item that fits with a new manifest that extends the accepted head.
fn push_pending(
    vault: &mut Vault,
    transport: &dyn Transport,
    numbers: &mut dyn PushNumbers,
    report: &mut SyncReport,
) -> Result<PushOutcome, SyncError> {
    let account = vault.account_id();
    let mut pushing = Vec::new();
    report.held_back.clear();
    for id in vault.state().pending.iter().map(|b| ItemId(*b)) {
        let len = vault.entries()[&id].blob.len();
        if len > MAX_PUSHED_BLOB {
            report.held_back.push((id, len));
        } else {
            pushing.push(id);
        }
    }
    if pushing.is_empty() {
        return Ok(PushOutcome::Accepted(vault.state().sync.as_ref().ok_or(SyncError::NotConnected)?.seq));
    }
    let base_seq = vault.state().sync.as_ref().ok_or(SyncError::NotConnected)?.seq;
    let device = *vault.state_mut().device_id.get_or_insert_with(DeviceId::random);
    let mut view = server_view(vault);
    let mut items = Vec::with_capacity(pushing.len());
    for id in &pushing {
        let blob = &vault.entries()[id].blob;
        view.insert(*id, blob_hash(blob));
        items.push(proto::PushedItem { id: *id, blob: proto::B64::new(blob.clone()) });
    }
    let base = vault.state().accepted(&account).head;
    // Above this device's own latest push in the head it builds on, too: the durable counter
    // may be gone (a new profile folder), and the head still knows how far it got.
    let own =
        base.as_ref().and_then(|h| h.writers.iter().find(|w| w.device == device)).map_or(0, |w| w.pushes);
    let number = numbers.reserve(own)?;
    let payload =
        ManifestPayload::next(base.as_ref(), device, number, ManifestDigest::from_blob_hashes(view));
    if payload.writers.len() > MAX_WRITERS {
        return Err(SyncError::TooManyDevices(MAX_WRITERS));
    }
    let key_version = vault.header().key_version;
    let manifest = Manifest::seal(vault.vault_key(), &account, key_version, &payload);
    let req = proto::PushRequest { base_seq, manifest: proto::B64::new(manifest), items };
    let outcome = transport.push(&token_of(vault)?, &req)?;
    if let PushOutcome::Accepted(seq) = outcome {
        let state = vault.state_mut();
        for id in &pushing {
            state.pending.remove(&id.0);
            state.base.remove(&id.0);
        }
        state.sync.as_mut().ok_or(SyncError::NotConnected)?.seq = seq;
        accept(vault, Some(Head::of_push(key_version, &payload)), key_version);
        report.pushed = pushing;
        report.seq = seq;
        report.head = vault.state().accepted(&account).head;
    }
    Ok(outcome)
}

/// Pulls, verifies, merges and pushes until the server accepts or nothing is left; each push
/// is numbered with `numbers`.
pub fn sync(
    vault: &mut Vault,
    transport: &dyn Transport,
    numbers: &mut dyn PushNumbers,
    now: i64,
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    for _ in 0..MAX_ATTEMPTS {
        let since = vault.state().sync.as_ref().ok_or(SyncError::NotConnected)?.seq;
        let pull = transport.pull(&token_of(vault)?, since)?;
        let verified = verify_pull(vault, pull)?;
        apply_pull(vault, verified, now, &mut report)?;
        if vault.state().pending.is_empty() {
            return Ok(report);
        }
        match push_pending(vault, transport, numbers, &mut report)? {
            PushOutcome::Accepted(_) => return Ok(report),
            PushOutcome::Conflict(_) => continue,
        }
    }
    Err(SyncError::TooManyConflicts)
}

/// The first sync of an account this device has just registered: the server must hold nothing
/// but this vault's own keyset (anything else would be a lie: nobody else could have pushed to
/// an account that did not exist a moment ago), and everything is pushed with a manifest that
/// extends the head this device accepted earlier, if any (a vault that moved servers keeps its
/// history). Then an ordinary [`sync`].
pub(crate) fn first_sync(
    vault: &mut Vault,
    transport: &dyn Transport,
    numbers: &mut dyn PushNumbers,
    now: i64,
) -> Result<SyncReport, SyncError> {
    let pull = transport.pull(&token_of(vault)?, 0)?;
    crate::verify::check_keyset(vault, &pull)?;
    if pull.seq != 0 || pull.manifest.is_some() || !pull.items.is_empty() {
        return Err(crate::Tampering::NewAccountNotEmpty.into());
    }
    let mut report = SyncReport::default();
    match push_pending(vault, transport, numbers, &mut report)? {
        PushOutcome::Accepted(_) => Ok(report),
        PushOutcome::Conflict(_) => sync(vault, transport, numbers, now),
    }
}

/// Forgets the head this device accepted and queues everything it holds as local changes
/// without a merge base, so that the next [`sync`] accepts the server's current state as it is
/// and merges all of this device's items into it (docs/spec/sync-api-v2.md, "Resetting
/// trust"). What the user gives up: detection of any rollback or fork before this moment. The
/// keyset epoch is kept: an old password must not come back through a reset.
pub fn reset_trust(vault: &mut Vault) {
    let account = vault.account_id();
    let ids: Vec<[u8; 16]> = vault.entries().keys().map(|id| id.0).collect();
    let state = vault.state_mut();
    if let Some(accepted) = state.accepted.get_mut(&account) {
        accepted.head = None;
    }
    if let Some(sync) = state.sync.as_mut() {
        sync.seq = 0;
    }
    state.base.clear();
    state.pending.extend(ids);
}

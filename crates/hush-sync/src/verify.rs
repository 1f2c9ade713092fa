//! Verifying a pull before anything of it is applied (docs/spec/sync-api-v2.md, "Verifying a
//! pull"; docs/spec/crypto-v2.md, "What a device keeps and checks").
//!
//! Every check here runs against what the device already holds: its keyset epoch, its
//! last-synced copy of every item, and the head it accepted. Nothing is changed; a pull that
//! passes becomes a [`VerifiedPull`], which only [`crate::sync`] applies.

use std::collections::BTreeMap;

use hush_crypto::{Head, ItemId, Keyset, Manifest, ManifestDigest, blob_hash};
use hush_proto as proto;
use hush_vault::{Item, Vault};

use crate::{SyncError, Tampering};

/// A pull that passed every check, ready to apply.
pub(crate) struct VerifiedPull {
    /// The server's seq.
    pub seq: u64,
    /// The head the pull's manifest describes (none before the first push).
    pub head: Option<Head>,
    /// The keyset epoch the pull carried.
    pub keyset_version: u32,
    /// Every pulled item, decrypted.
    pub items: Vec<(ItemId, Vec<u8>, Item)>,
}

/// The server's item set as this device knows it: the last-synced blob of every item (for an
/// item with pending local edits, its merge base; a new local item is not on the server yet),
/// as blob hashes, which is what the manifest digest wants. The synced blobs' hashes come from
/// the vault's index rather than hashing every blob again (docs/benchmarks.md, C4).
pub(crate) fn server_view(vault: &Vault) -> BTreeMap<ItemId, [u8; 32]> {
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

/// The revision of this device's last-synced copy of `id`, if it has one: the merge base of a
/// pending item, else the item itself (a new local item has none).
fn synced_revision(vault: &Vault, id: &ItemId) -> Result<Option<u64>, SyncError> {
    let state = vault.state();
    if state.pending.contains(&id.0) {
        return match state.base.get(&id.0) {
            Some(base) => Ok(Some(vault.decrypt(id, base)?.revision)),
            None => Ok(None),
        };
    }
    Ok(vault.entries().get(id).map(|e| e.item.revision))
}

/// Checks the pulled keyset against the epoch this device holds. `Ok(())` when it is this
/// vault's own keyset.
pub(crate) fn check_keyset(vault: &Vault, pull: &proto::PullResponse) -> Result<(), SyncError> {
    let keyset = Keyset(pull.keyset.as_bytes().to_vec());
    let header_version = keyset.key_version().map_err(|_| Tampering::KeysetMalformed)?;
    if header_version != pull.key_version {
        return Err(
            Tampering::KeyVersionMismatch { claimed: pull.key_version, keyset: header_version }.into()
        );
    }
    let held = vault.state().accepted(&vault.account_id()).keyset_version.max(vault.header().key_version);
    if pull.key_version < held {
        return Err(Tampering::KeysetWentBack { held, got: pull.key_version }.into());
    }
    if pull.key_version > vault.header().key_version {
        // Only the new password opens the new ring; nothing here can be applied without it.
        return Err(SyncError::PasswordChanged);
    }
    if pull.keyset.as_bytes() != vault.header().keyset.as_slice() {
        // Crypto v1 changed the password without a new key version; a device from then that
        // has not logged in since sees its own epoch with new bytes. Under crypto v2 every
        // change raises the epoch, so the same epoch with other bytes is a swap.
        let own_format = Keyset(vault.header().keyset.clone()).format();
        let v1_rekey = keyset.format() == Ok(hush_crypto::FORMAT_V1)
            && own_format == Ok(hush_crypto::FORMAT_V1)
            && pull.key_version == 1;
        return Err(if v1_rekey {
            SyncError::PasswordChanged
        } else {
            Tampering::KeysetSwapped { key_version: pull.key_version }.into()
        });
    }
    Ok(())
}

/// Checks a pull against everything this device knows. Changes nothing.
pub(crate) fn verify_pull(vault: &Vault, pull: proto::PullResponse) -> Result<VerifiedPull, SyncError> {
    let sync = vault.state().sync.as_ref().ok_or(SyncError::NotConnected)?;
    if pull.seq < sync.seq {
        return Err(Tampering::SeqWentBack { held: sync.seq, got: pull.seq }.into());
    }
    check_keyset(vault, &pull)?;
    let account = vault.account_id();
    let accepted = vault.state().accepted(&account);
    let mut view = server_view(vault);
    let mut items = Vec::with_capacity(pull.items.len());
    for pulled in pull.items {
        let id = pulled.id;
        let blob = pulled.blob.into_bytes();
        let item = vault.decrypt(&id, &blob).map_err(|e| match e {
            // It authenticated, so it is no lie: a newer hush wrote it (docs/vault-format.md,
            // "Item blobs"); the user must upgrade, not distrust the server.
            hush_vault::VaultError::UnsupportedVersion(v) => {
                SyncError::Vault(hush_vault::VaultError::UnsupportedVersion(v))
            }
            _ => Tampering::ItemAuthentication { item: id }.into(),
        })?;
        // Items never go backwards (sync-api-v2.md, "Verifying a pull", 2): defence in depth
        // behind the head check, and the check that still holds for a device with no head.
        if let Some(held) = synced_revision(vault, &id)?
            && item.revision < held
        {
            return Err(Tampering::ItemWentBack { item: id, held, got: item.revision }.into());
        }
        view.insert(id, blob_hash(&blob));
        items.push((id, blob, item));
    }
    let head = match pull.manifest {
        None => {
            if accepted.head.is_some() || !view.is_empty() {
                return Err(Tampering::ManifestMissing.into());
            }
            None
        }
        Some(blob) => {
            let (key_version, manifest) = Manifest::open(vault.ring(), &account, blob.as_bytes())
                .map_err(|_| Tampering::ManifestAuthentication)?;
            match &accepted.head {
                Some(held) => held.check_successor(key_version, pull.key_version, &manifest)?,
                // A device with no head yet (a new device, or one that reset trust) accepts the
                // first head it sees, if it is internally consistent (crypto-v2.md, "What is left").
                None if key_version > pull.key_version => {
                    return Err(Tampering::Head(hush_crypto::HeadError::KeyVersionAboveKeyset {
                        manifest: key_version,
                        keyset: pull.key_version,
                    })
                    .into());
                }
                None => {}
            }
            if ManifestDigest::from_blob_hashes(view) != manifest.digest() {
                return Err(Tampering::DigestMismatch.into());
            }
            Some(Head::of(key_version, &manifest))
        }
    };
    Ok(VerifiedPull { seq: pull.seq, head, keyset_version: pull.key_version, items })
}

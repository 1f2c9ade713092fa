//! The sealed local state inside `vault.hush`: what makes the file as a whole
//! authentic, what sync needs to remember between runs, and the search index.
//!
//! Its plaintext (docs/vault-format.md, "Sealed local state"):
//! ```text
//! version (2) || u32le meta_len || bincode(LocalState) || index (index::table)
//! ```
//! Version 1 was `1 || bincode(LocalState with the index as a Vec<IndexEntry>)`; it is
//! still read, and rewritten as version 2 by the next save. The index moved out of
//! bincode because decoding it (tens of thousands of small allocations) was most of
//! the time of `hush get` on a large vault (issue #4, docs/benchmarks.md).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use hush_crypto::{AccountId, ItemId, ManifestDigest, VaultKey, seal_local};

use crate::index::table::{EntryRef, IndexTable, Record};
use crate::{IndexEntry, VaultError, codec};

/// Format version of the sealed state's plaintext.
pub const STATE_VERSION: u8 = 2;
const STATE_VERSION_1: u8 = 1;
/// The domain-separation label of the sealed state (distinct from every spec label).
pub const STATE_LABEL: &[u8] = b"hush/local/v1/state";

/// Everything local that must stay secret or authentic.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct LocalState {
    /// SHA-256 digest (manifest construction) over every item blob in the file: binds
    /// the set of items to the vault key, so that a local attacker cannot drop, swap
    /// or roll back single items in the file unnoticed.
    pub items_digest: [u8; 32],
    /// Items changed locally and not yet pushed.
    pub pending: BTreeSet<[u8; 16]>,
    /// For pending items that the server already has: the last-synced blob, the
    /// base of the three-way merge (DESIGN.md, "Sync").
    pub base: BTreeMap<[u8; 16], Vec<u8>>,
    /// The server this vault syncs with, once registered or logged in.
    pub sync: Option<SyncState>,
}

impl LocalState {
    /// Queues `id` for the next push. The first local edit since the last sync also
    /// remembers `current`, the blob the server last had, as the base of a later
    /// three-way merge (DESIGN.md, "Sync").
    pub fn mark_pending(&mut self, id: ItemId, current: Option<&[u8]>) {
        if self.pending.insert(id.0)
            && let Some(blob) = current
        {
            self.base.insert(id.0, blob.to_vec());
        }
    }
}

/// Version 1 of the state, with the index inside.
#[derive(Deserialize)]
struct LocalStateV1 {
    items_digest: [u8; 32],
    pending: BTreeSet<[u8; 16]>,
    base: BTreeMap<[u8; 16], Vec<u8>>,
    sync: Option<SyncState>,
    index: Vec<IndexEntry>,
}

/// The index as the sealed state held it.
pub(crate) enum StoredIndex {
    /// Version 2: read in place.
    Table(IndexTable),
    /// Version 1: decoded entries (none in files written before the index existed).
    Decoded(BTreeMap<ItemId, IndexEntry>),
}

impl StoredIndex {
    /// Takes the stored entry of `id` if it describes exactly the blob `blob_hash`.
    pub(crate) fn take(&mut self, id: &ItemId, blob_hash: &[u8; 32]) -> Option<IndexEntry> {
        match self {
            StoredIndex::Table(table) => {
                table.find_id(id).filter(|e| e.blob_hash() == *blob_hash).map(EntryRef::to_entry)
            }
            StoredIndex::Decoded(map) => map.remove(id).filter(|e| e.blob_hash == *blob_hash),
        }
    }
}

/// Encodes the state's plaintext; `index` appends the index (`index::table::encode`).
pub(crate) fn encode(state: &LocalState, index: impl FnOnce(&mut Vec<u8>)) -> Zeroizing<Vec<u8>> {
    let meta = codec::encode_raw(state);
    // The index is encoded apart and the result sized exactly, so that the buffer
    // holding the session token never grows (a grown Vec frees an unwiped copy).
    let mut encoded_index = Zeroizing::new(Vec::new());
    index(&mut encoded_index);
    let mut out = Zeroizing::new(Vec::with_capacity(1 + 4 + meta.len() + encoded_index.len()));
    out.push(STATE_VERSION);
    out.extend_from_slice(&u32::try_from(meta.len()).expect("state fits in u32").to_le_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(&encoded_index);
    out
}

/// The sealed state of a file whose items are `entries`, in the order their blobs
/// are written, each as its index record and its blob's length: `items_digest` over
/// their blob hashes, the index (which records where each blob lies), and `state`,
/// sealed under the vault key. The one way a vault file's state is written, whether
/// by the full vault or the editor.
pub(crate) fn seal<R: Record>(
    vk: &VaultKey,
    account_id: &AccountId,
    state: &LocalState,
    entries: impl ExactSizeIterator<Item = (R, usize)> + Clone,
) -> Vec<u8> {
    let mut state = state.clone();
    state.items_digest =
        ManifestDigest::from_blob_hashes(entries.clone().map(|(e, _)| (e.item_id(), e.blob_hash()))).0;
    let plain = encode(&state, |out| crate::index::table::encode(out, entries));
    seal_local(vk, STATE_LABEL, account_id, &plain)
}

/// A version-2 plaintext, split: the index parsed in place, the rest not yet decoded.
pub(crate) struct Split {
    /// The index, holding the plaintext.
    pub index: IndexTable,
    /// Where the bincode `LocalState` lies in `index.plain()`.
    meta: std::ops::Range<usize>,
}

impl Split {
    /// Decodes the `LocalState`.
    pub(crate) fn meta(&self) -> Result<LocalState, VaultError> {
        codec::decode_raw(&self.index.plain()[self.meta.clone()], u64::MAX)
            .map_err(|e| VaultError::Corrupt(format!("cannot decode the sealed state: {e}")))
    }
}

/// Splits a version-2 plaintext without decoding its `LocalState` (read-only views
/// need only the index, and the state of a vault never synced lists every item as
/// pending). `None` for version 1, which only [`decode`] reads.
pub(crate) fn split(plain: Zeroizing<Vec<u8>>) -> Result<Option<Split>, VaultError> {
    match plain.first() {
        Some(&STATE_VERSION) => {
            let truncated = || VaultError::Corrupt("the sealed state is truncated".into());
            let len = plain.get(1..5).ok_or_else(truncated)?;
            let meta_end = 5usize
                .checked_add(u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize)
                .filter(|&end| end <= plain.len())
                .ok_or_else(truncated)?;
            Ok(Some(Split { index: IndexTable::parse(plain, meta_end)?, meta: 5..meta_end }))
        }
        Some(&STATE_VERSION_1) => Ok(None),
        Some(&v) => Err(VaultError::UnsupportedVersion(v)),
        None => Err(VaultError::Corrupt("the sealed state is empty".into())),
    }
}

/// A whole file whose state is at version 1, rewritten as this hush writes it: a full
/// open reads it (and checks every blob), then it is serialised again. For the read
/// paths that do not decode version 1 themselves ([`split`] answers `None`); the next
/// save writes the file so.
pub(crate) fn upgrade(bytes: &[u8], vk: &hush_crypto::VaultKey) -> Result<Vec<u8>, VaultError> {
    Ok(crate::Vault::open(&crate::VaultFile::from_bytes(bytes)?, vk.clone())?.to_bytes())
}

/// Decodes the state's plaintext, either version.
pub(crate) fn decode(plain: Zeroizing<Vec<u8>>) -> Result<(LocalState, StoredIndex), VaultError> {
    if plain.first() == Some(&STATE_VERSION_1) {
        let v1: LocalStateV1 = codec::decode(STATE_VERSION_1, &plain, u64::MAX)?;
        let LocalStateV1 { items_digest, pending, base, sync, index } = v1;
        let index = index.into_iter().map(|e| (e.item_id(), e)).collect();
        return Ok((LocalState { items_digest, pending, base, sync }, StoredIndex::Decoded(index)));
    }
    let split = split(plain)?.expect("version 2");
    Ok((split.meta()?, StoredIndex::Table(split.index)))
}

/// What a device remembers about its server.
#[derive(Clone, Default, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct SyncState {
    /// The server's base URL.
    pub server_url: String,
    /// The session token; stored only here, sealed under the vault key.
    pub token: String,
    /// The session's id, to tell it apart in `hush devices`.
    pub session_id: String,
    /// The account's `seq` at the last successful sync.
    pub seq: u64,
    /// The highest manifest counter ever seen (rollback detection).
    pub manifest_counter: u64,
    /// The digest that counter was seen with (fork detection).
    pub manifest_digest: [u8; 32],
    /// Whether to sync after every change.
    pub auto_sync: bool,
    /// The user allowed plain http:// to a non-loopback server (`--insecure-http`).
    pub insecure_http: bool,
}

#[cfg(test)]
pub(crate) mod tests {
    use serde::Serialize;

    use super::*;
    use crate::{Vault, VaultFile};

    /// `v`'s file as the previous hush wrote it: the state at version 1, with the
    /// index inside as decoded entries.
    pub(crate) fn with_version_1_state(v: &Vault) -> VaultFile {
        #[derive(Serialize)]
        struct V1<'a> {
            items_digest: [u8; 32],
            pending: &'a BTreeSet<[u8; 16]>,
            base: &'a BTreeMap<[u8; 16], Vec<u8>>,
            sync: &'a Option<SyncState>,
            index: Vec<&'a IndexEntry>,
        }
        let mut file = v.to_file();
        let digest = hush_crypto::ManifestDigest::from_blobs(file.items.iter().map(|(id, b)| (*id, &b[..])));
        let state = v.state();
        let v1 = V1 {
            items_digest: digest.0,
            pending: &state.pending,
            base: &state.base,
            sync: &state.sync,
            index: v.index_entries().collect(),
        };
        let plain = codec::encode(STATE_VERSION_1, &v1);
        file.state = hush_crypto::seal_local(v.vault_key(), STATE_LABEL, &v.account_id(), &plain);
        file
    }

    #[test]
    fn unknown_versions_and_truncations_are_refused() {
        let plain = encode(&LocalState::default(), |out| {
            crate::index::table::encode(out, std::iter::empty::<(&IndexEntry, usize)>())
        });
        assert!(decode(plain.clone()).is_ok());
        for len in 0..plain.len() {
            assert!(decode(Zeroizing::new(plain[..len].to_vec())).is_err(), "truncated to {len}");
        }
        let mut newer = plain.clone();
        newer[0] = 3;
        assert!(matches!(decode(newer), Err(VaultError::UnsupportedVersion(3))));
        let mut longer = plain.to_vec();
        longer.push(0);
        assert!(matches!(decode(Zeroizing::new(longer)), Err(VaultError::Corrupt(_))));
    }
}

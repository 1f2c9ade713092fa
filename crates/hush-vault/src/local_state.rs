//! The sealed local state inside `vault.hush`: what makes the file as a whole
//! authentic, what sync needs to remember between runs, and the search index.
//!
//! Its plaintext (docs/vault-format.md, "Sealed local state"):
//! ```text
//! version (4) || u32le meta_len || bincode(LocalState) || index (index::table)
//! ```
//! Version 3 had the same layout without `last_server`, and its index never has the trash flag.
//! Version 2 had the same layout with an older `LocalState` (its sync state kept the manifest
//! counter and digest of crypto v1); version 1 was `1 || bincode(LocalState with the index as a
//! Vec<IndexRecord>)`. The
//! index moved out of bincode in version 2 because decoding it (tens of thousands of small
//! allocations) was most of the time of `hush get` on a large vault (issue #4,
//! docs/benchmarks.md). Every older version is still read, and rewritten as the current one by
//! the next save.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use hush_crypto::{AccountId, DeviceId, Head, ItemId, ManifestDigest, OpenedManifest, VaultKey, seal_local};

use crate::index::table::{IndexRecordRef, IndexTable, Record};
use crate::{IndexRecord, VaultError, encoding};

/// Format version of the sealed state's plaintext. Version 4 adds `last_server` to version
/// 3's `LocalState`, and its index may carry the trash flag, which a hush of version 3 would
/// take for damage: it refuses version 4 as a newer format instead ("upgrade hush").
pub const STATE_VERSION: u8 = 4;
const STATE_VERSION_3: u8 = 3;
const STATE_VERSION_2: u8 = 2;
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
    /// base of the three-way merge (docs/sync.md, "Merge rules").
    pub base: BTreeMap<[u8; 16], Vec<u8>>,
    /// The server this vault syncs with, once registered or logged in.
    pub sync: Option<SyncState>,
    /// This device's id in the manifests it writes (docs/spec/crypto-v2.md, "Manifest"),
    /// drawn on its first push and kept for good.
    pub device_id: Option<DeviceId>,
    /// The high-water mark of each account's server history: what this device accepted.
    /// Keyed by account, not by server or session, so that it survives a logout, a new
    /// session, a re-spelled URL and a move to another server; only `hush sync
    /// --reset-trust` forgets it (docs/spec/sync-api-v2.md, "Resetting trust").
    pub accepted: BTreeMap<AccountId, Accepted>,
    /// The server this device last connected to and the name it used there, kept after
    /// `hush logout` (which forgets `sync`) so that `hush login` reconnects without being told
    /// the server again and under the same name (issue #10, point 15). Forgotten when the
    /// account is deleted from the server.
    pub last_server: Option<LastServer>,
}

/// Where a device was last connected, and as what (state version 4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastServer {
    /// The server's base URL, normalised as [`SyncState::server_url`].
    pub server_url: String,
    /// The user allowed plain http:// to it (`--insecure-http`).
    pub insecure_http: bool,
    /// The name this device showed in `hush devices`; `None` if it connected before names
    /// were remembered (state version 3 or older).
    pub device_name: Option<String>,
}

/// What a device accepted of one account's server history (docs/spec/crypto-v2.md, "What a
/// device keeps and checks").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// The last head accepted: a verified pull or an acknowledged push of this device.
    pub head: Option<Head>,
    /// The highest keyset epoch (key version) accepted; an older keyset is tampering.
    pub keyset_version: u32,
}

impl LocalState {
    /// What this device accepted of `account`'s history (the default, nothing, if it never
    /// synced).
    pub fn accepted(&self, account: &AccountId) -> Accepted {
        self.accepted.get(account).cloned().unwrap_or_default()
    }
    /// Queues `id` for the next push. The first local edit since the last sync also
    /// remembers `current`, the blob the server last had, as the base of a later
    /// three-way merge (docs/sync.md, "Merge rules").
    pub fn mark_pending(&mut self, id: ItemId, current: Option<&[u8]>) {
        if self.pending.insert(id.0)
            && let Some(blob) = current
        {
            self.base.insert(id.0, blob.to_vec());
        }
    }
}

/// The `LocalState` of state version 3: the current one without `last_server`.
#[derive(Deserialize)]
struct LocalStateV3 {
    items_digest: [u8; 32],
    pending: BTreeSet<[u8; 16]>,
    base: BTreeMap<[u8; 16], Vec<u8>>,
    sync: Option<SyncState>,
    device_id: Option<DeviceId>,
    accepted: BTreeMap<AccountId, Accepted>,
}

impl LocalStateV3 {
    /// The same state in version 4: a connected device's server is its last server (its
    /// device name was not kept before).
    fn upgrade(self) -> LocalState {
        let LocalStateV3 { items_digest, pending, base, sync, device_id, accepted } = self;
        let last_server = last_server_of(sync.as_ref());
        LocalState { items_digest, pending, base, sync, device_id, accepted, last_server }
    }
}

/// What an older state's sync state says of the last server.
fn last_server_of(sync: Option<&SyncState>) -> Option<LastServer> {
    sync.map(|s| LastServer {
        server_url: s.server_url.clone(),
        insecure_http: s.insecure_http,
        device_name: None,
    })
}

/// Version 1 of the state, with the index inside.
#[derive(Deserialize)]
struct LocalStateV1 {
    items_digest: [u8; 32],
    pending: BTreeSet<[u8; 16]>,
    base: BTreeMap<[u8; 16], Vec<u8>>,
    sync: Option<SyncStateV2>,
    index: Vec<IndexRecord>,
}

/// The `LocalState` of state versions 1 and 2 (crypto v1's manifest rules).
#[derive(Deserialize)]
struct LocalStateV2 {
    items_digest: [u8; 32],
    pending: BTreeSet<[u8; 16]>,
    base: BTreeMap<[u8; 16], Vec<u8>>,
    sync: Option<SyncStateV2>,
}

/// The sync state of versions 1 and 2: the manifest counter and digest lived here, per server.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct SyncStateV2 {
    server_url: String,
    token: String,
    session_id: String,
    seq: u64,
    manifest_counter: u64,
    manifest_digest: [u8; 32],
    auto_sync: bool,
    insecure_http: bool,
}

impl LocalStateV2 {
    /// The same state in version 3: the crypto-v1 counter and digest become a version-1 head
    /// (docs/spec/crypto-v2.md, "Upgrading from version 1"); crypto v1 had one key version.
    fn upgrade(self, account: &AccountId) -> LocalState {
        let LocalStateV2 { items_digest, pending, base, sync } = self;
        let mut accepted = BTreeMap::new();
        if let Some(old) = &sync
            && old.manifest_counter > 0
        {
            let v1 = OpenedManifest::V1 {
                counter: old.manifest_counter,
                digest: ManifestDigest(old.manifest_digest),
            };
            accepted.insert(*account, Accepted { head: Some(Head::of(1, &v1)), keyset_version: 1 });
        }
        let sync = sync.map(|old| SyncState {
            server_url: old.server_url.clone(),
            token: old.token.clone(),
            session_id: old.session_id.clone(),
            seq: old.seq,
            auto_sync: old.auto_sync,
            insecure_http: old.insecure_http,
        });
        let last_server = last_server_of(sync.as_ref());
        LocalState { items_digest, pending, base, sync, device_id: None, accepted, last_server }
    }
}

/// The index as the sealed state held it.
pub(crate) enum StoredIndex {
    /// Version 2: read in place.
    Table(IndexTable),
    /// Version 1: decoded entries (none in files written before the index existed).
    Decoded(BTreeMap<ItemId, IndexRecord>),
}

impl StoredIndex {
    /// Takes the stored entry of `id` if it describes exactly the blob `blob_hash`.
    pub(crate) fn take(&mut self, id: &ItemId, blob_hash: &[u8; 32]) -> Option<IndexRecord> {
        match self {
            StoredIndex::Table(table) => {
                table.find_id(id).filter(|e| e.blob_hash() == *blob_hash).map(IndexRecordRef::to_entry)
            }
            StoredIndex::Decoded(map) => map.remove(id).filter(|e| e.blob_hash == *blob_hash),
        }
    }
}

/// Encodes the state's plaintext; `index` appends the index (`index::table::encode`).
pub(crate) fn encode(state: &LocalState, index: impl FnOnce(&mut Vec<u8>)) -> Zeroizing<Vec<u8>> {
    let meta = encoding::encode_raw(state);
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

/// A version-2 or -3 plaintext, split: the index parsed in place, the rest not yet decoded.
pub(crate) struct Split {
    /// The index, holding the plaintext.
    pub index: IndexTable,
    /// Where the bincode `LocalState` lies in `index.plain()`.
    meta: std::ops::Range<usize>,
    /// The state version, which says which `LocalState` layout `meta` holds.
    version: u8,
}

impl Split {
    /// Decodes the `LocalState` of `account`'s vault (an older layout is upgraded).
    pub(crate) fn meta(&self, account: &AccountId) -> Result<LocalState, VaultError> {
        let bytes = &self.index.plain()[self.meta.clone()];
        let corrupt =
            |e: Box<bincode::ErrorKind>| VaultError::Corrupt(format!("cannot decode the sealed state: {e}"));
        if self.version == STATE_VERSION_2 {
            let old: LocalStateV2 = encoding::decode_raw(bytes, u64::MAX).map_err(corrupt)?;
            return Ok(old.upgrade(account));
        }
        if self.version == STATE_VERSION_3 {
            let old: LocalStateV3 = encoding::decode_raw(bytes, u64::MAX).map_err(corrupt)?;
            return Ok(old.upgrade());
        }
        encoding::decode_raw(bytes, u64::MAX).map_err(corrupt)
    }
}

/// Splits a version-2, -3 or -4 plaintext without decoding its `LocalState` (read-only views
/// need only the index, and the state of a vault never synced lists every item as
/// pending). `None` for version 1, which only [`decode`] reads.
pub(crate) fn split(plain: Zeroizing<Vec<u8>>) -> Result<Option<Split>, VaultError> {
    match plain.first() {
        Some(&version @ (STATE_VERSION | STATE_VERSION_3 | STATE_VERSION_2)) => {
            let truncated = || VaultError::Corrupt("the sealed state is truncated".into());
            let len = plain.get(1..5).ok_or_else(truncated)?;
            let meta_end = 5usize
                .checked_add(u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize)
                .filter(|&end| end <= plain.len())
                .ok_or_else(truncated)?;
            Ok(Some(Split { index: IndexTable::parse(plain, meta_end)?, meta: 5..meta_end, version }))
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
pub(crate) fn upgrade(bytes: &[u8], ring: &hush_crypto::KeyRing) -> Result<Vec<u8>, VaultError> {
    Ok(crate::Vault::open(&crate::VaultFile::from_bytes(bytes)?, ring.clone())?.to_bytes())
}

/// Decodes the state's plaintext of `account`'s vault, any version.
pub(crate) fn decode(
    plain: Zeroizing<Vec<u8>>,
    account: &AccountId,
) -> Result<(LocalState, StoredIndex), VaultError> {
    if plain.first() == Some(&STATE_VERSION_1) {
        let v1: LocalStateV1 = encoding::decode(STATE_VERSION_1, &plain, u64::MAX)?;
        let LocalStateV1 { items_digest, pending, base, sync, index } = v1;
        let index = index.into_iter().map(|e| (e.item_id(), e)).collect();
        let state = LocalStateV2 { items_digest, pending, base, sync }.upgrade(account);
        return Ok((state, StoredIndex::Decoded(index)));
    }
    let split = split(plain)?.expect("version 2, 3 or 4");
    Ok((split.meta(account)?, StoredIndex::Table(split.index)))
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
    /// The account's `seq` on this server at the last successful sync (what to pull from).
    pub seq: u64,
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

    /// The sync state as state versions 1 and 2 wrote it.
    #[derive(Serialize)]
    pub(crate) struct OldSync<'a> {
        pub(crate) server_url: &'a str,
        pub(crate) token: &'a str,
        pub(crate) session_id: &'a str,
        pub(crate) seq: u64,
        pub(crate) manifest_counter: u64,
        pub(crate) manifest_digest: [u8; 32],
        pub(crate) auto_sync: bool,
        pub(crate) insecure_http: bool,
    }

    /// `v`'s file as the first hush wrote it: the state at version 1, with the index inside as
    /// decoded entries, and `sync` as its sync state.
    pub(crate) fn with_version_1_state(v: &Vault, sync: Option<OldSync<'_>>) -> VaultFile {
        #[derive(Serialize)]
        struct V1<'a> {
            items_digest: [u8; 32],
            pending: &'a BTreeSet<[u8; 16]>,
            base: &'a BTreeMap<[u8; 16], Vec<u8>>,
            sync: Option<OldSync<'a>>,
            index: Vec<&'a IndexRecord>,
        }
        let mut file = v.to_file();
        let digest = hush_crypto::ManifestDigest::from_blobs(file.items.iter().map(|(id, b)| (*id, &b[..])));
        let state = v.state();
        let v1 = V1 {
            items_digest: digest.0,
            pending: &state.pending,
            base: &state.base,
            sync,
            index: v.index_entries().collect(),
        };
        let plain = encoding::encode(STATE_VERSION_1, &v1);
        file.state = hush_crypto::seal_local(v.vault_key(), STATE_LABEL, &v.account_id(), &plain);
        file
    }

    /// `v`'s file as the previous hush wrote it: the state at version 2 (the index as a table,
    /// crypto v1's manifest counter in the sync state).
    fn with_version_2_state(v: &Vault, sync: Option<OldSync<'_>>) -> VaultFile {
        #[derive(Serialize)]
        struct V2<'a> {
            items_digest: [u8; 32],
            pending: &'a BTreeSet<[u8; 16]>,
            base: &'a BTreeMap<[u8; 16], Vec<u8>>,
            sync: Option<OldSync<'a>>,
        }
        let file = v.to_file();
        let state = v.state();
        let meta = encoding::encode_raw(&V2 {
            items_digest: ManifestDigest::from_blobs(file.items.iter().map(|(id, b)| (*id, &b[..]))).0,
            pending: &state.pending,
            base: &state.base,
            sync,
        });
        sealed_with_old_state(v, file, STATE_VERSION_2, &meta)
    }

    /// `file` with `v`'s sealed state rewritten as an older hush wrote it: `version`, then `meta`
    /// (that version's `LocalState`), then the index table.
    fn sealed_with_old_state(v: &Vault, mut file: VaultFile, version: u8, meta: &[u8]) -> VaultFile {
        let mut plain = vec![version];
        plain.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        plain.extend_from_slice(meta);
        let entries: Vec<_> = v
            .entries()
            .iter()
            .map(|(id, e)| (v.index_entries().find(|x| x.item_id() == *id).unwrap(), e.blob.len()))
            .collect();
        crate::index::table::encode(&mut plain, entries.into_iter());
        file.state = hush_crypto::seal_local(v.vault_key(), STATE_LABEL, &v.account_id(), &plain);
        file
    }

    fn old_sync(counter: u64) -> OldSync<'static> {
        OldSync {
            server_url: "https://hush.example",
            token: "tok",
            session_id: "sid",
            seq: 57,
            manifest_counter: counter,
            manifest_digest: [9; 32],
            auto_sync: true,
            insecure_http: false,
        }
    }

    #[test]
    fn a_crypto_v1_sync_state_becomes_a_version_1_head_of_its_account() {
        let weak = hush_crypto::KdfParams { m_kib: 64, t: 1, p: 1 };
        let (mut v, _) = Vault::create("pw", weak, hush_crypto::FloorPolicy::AllowInsecure).unwrap();
        v.add(crate::Item::new(crate::ItemKind::Login, "one", 1));
        for file in
            [with_version_1_state(&v, Some(old_sync(12))), with_version_2_state(&v, Some(old_sync(12)))]
        {
            let opened = Vault::open(&file, v.ring().clone()).unwrap();
            let state = opened.state();
            let sync = state.sync.as_ref().unwrap();
            assert_eq!(
                (sync.server_url.as_str(), sync.token.as_str(), sync.seq),
                ("https://hush.example", "tok", 57)
            );
            assert!(sync.auto_sync);
            let accepted = state.accepted(&v.account_id());
            let head = accepted.head.expect("a head");
            assert!(head.legacy);
            assert_eq!((head.counter, head.digest, head.key_version), (12, ManifestDigest([9; 32]), 1));
            assert_eq!(head.chain, hush_crypto::ChainHash::of_v1(12, &ManifestDigest([9; 32])));
            assert_eq!(accepted.keyset_version, 1);
            assert_eq!(state.device_id, None);
            // The editor and the view read it the same way.
            let ed = crate::Editor::open(file.to_bytes(), v.ring().clone()).unwrap();
            assert_eq!(ed.state().accepted, state.accepted);
            let view = crate::VaultView::open(file.to_bytes(), v.ring().clone()).unwrap();
            assert_eq!(view.state().unwrap().accepted, state.accepted);
        }
        // Never synced, or connected but never pushed: no head.
        for sync in [None, Some(old_sync(0))] {
            let opened = Vault::open(&with_version_2_state(&v, sync), v.ring().clone()).unwrap();
            assert!(opened.state().accepted.is_empty());
        }
    }

    /// `v`'s file as hush wrote it before `last_server` (state version 3).
    fn with_version_3_state(v: &Vault) -> VaultFile {
        #[derive(Serialize)]
        struct V3<'a> {
            items_digest: [u8; 32],
            pending: &'a BTreeSet<[u8; 16]>,
            base: &'a BTreeMap<[u8; 16], Vec<u8>>,
            sync: &'a Option<SyncState>,
            device_id: &'a Option<DeviceId>,
            accepted: &'a BTreeMap<AccountId, Accepted>,
        }
        let file = v.to_file();
        let state = v.state();
        let meta = encoding::encode_raw(&V3 {
            items_digest: ManifestDigest::from_blobs(file.items.iter().map(|(id, b)| (*id, &b[..]))).0,
            pending: &state.pending,
            base: &state.base,
            sync: &state.sync,
            device_id: &state.device_id,
            accepted: &state.accepted,
        });
        sealed_with_old_state(v, file, STATE_VERSION_3, &meta)
    }

    #[test]
    fn a_version_3_state_reads_with_its_server_as_the_last_server() {
        let weak = hush_crypto::KdfParams { m_kib: 64, t: 1, p: 1 };
        let (mut v, _) = Vault::create("pw", weak, hush_crypto::FloorPolicy::AllowInsecure).unwrap();
        v.add(crate::Item::new(crate::ItemKind::Login, "one", 1));
        v.state_mut().sync = Some(SyncState {
            server_url: "https://hush.example".into(),
            token: "tok".into(),
            session_id: "sid".into(),
            seq: 3,
            auto_sync: false,
            insecure_http: true,
        });
        v.state_mut().device_id = Some(DeviceId([4; 16]));
        let file = with_version_3_state(&v);
        let opened = Vault::open(&file, v.ring().clone()).unwrap();
        let state = opened.state();
        assert_eq!(state.sync.as_ref().unwrap().token, "tok");
        assert_eq!(state.device_id, Some(DeviceId([4; 16])));
        assert_eq!(
            state.last_server,
            Some(LastServer {
                server_url: "https://hush.example".into(),
                insecure_http: true,
                device_name: None
            })
        );
        let view = crate::VaultView::open(file.to_bytes(), v.ring().clone()).unwrap();
        assert_eq!(view.state().unwrap().last_server, state.last_server);
        // Saved again, it is version 4 and keeps everything.
        let again =
            Vault::open(&VaultFile::from_bytes(&opened.to_bytes()).unwrap(), v.ring().clone()).unwrap();
        assert_eq!(again.state().last_server, state.last_server);
        // A logged-out version-3 state has no last server.
        v.state_mut().sync = None;
        let opened = Vault::open(&with_version_3_state(&v), v.ring().clone()).unwrap();
        assert_eq!(opened.state().last_server, None);
    }

    #[test]
    fn unknown_versions_and_truncations_are_refused() {
        let account = AccountId([1; 16]);
        let plain = encode(&LocalState::default(), |out| {
            crate::index::table::encode(out, std::iter::empty::<(&IndexRecord, usize)>())
        });
        assert!(decode(plain.clone(), &account).is_ok());
        for len in 0..plain.len() {
            assert!(decode(Zeroizing::new(plain[..len].to_vec()), &account).is_err(), "truncated to {len}");
        }
        let mut newer = plain.clone();
        newer[0] = STATE_VERSION + 1;
        assert!(matches!(decode(newer, &account), Err(VaultError::UnsupportedVersion(5))));
        let mut longer = plain.to_vec();
        longer.push(0);
        assert!(matches!(decode(Zeroizing::new(longer), &account), Err(VaultError::Corrupt(_))));
    }
}

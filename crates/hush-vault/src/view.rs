//! A read-only view of the vault for commands that show one item or a listing
//! (`get`, `copy`, `totp`, `history`, `ls`): it decrypts the sealed local state with
//! its search index and then only the item asked for — so the cost of `hush get` on
//! 10,000 items is one small AEAD, not 10,000 (issue #4).
//!
//! Authenticity is the same as with a full open: the index is sealed with the vault
//! key; its ids must be exactly the file's, and its digest the sealed one; and each
//! blob decrypted must hash to its index entry, so a blob swapped for an older one,
//! or moved from another item, is refused as tampering.

use std::path::Path;

use hush_crypto::{ItemId, KeyRing, open_local_in_place};

use crate::index::table::IndexRecordRef;
use crate::index::{IndexRecord, ItemLookup, Matches, Scope, SearchFields};
use crate::local_state::{self, LocalState, STATE_LABEL};
use crate::vault_file::{FileHeader, ViewPrefix};
use crate::{Item, VaultError, decrypt_item};

/// Where the blobs are read from.
enum Source {
    /// An open vault file: blobs are read with `pread`, one at a time. The handle
    /// keeps the version that was opened even if a writer renames a new one over it.
    File(std::fs::File),
    /// A whole file in memory.
    Bytes(Vec<u8>),
}

impl Source {
    fn read_range(&self, start: u64, len: u64) -> Result<Vec<u8>, VaultError> {
        let truncated = || VaultError::Corrupt("the file is truncated".into());
        let len = usize::try_from(len).map_err(|_| truncated())?;
        match self {
            Source::Bytes(bytes) => {
                let start = usize::try_from(start).map_err(|_| truncated())?;
                let end = start.checked_add(len).ok_or_else(truncated)?;
                bytes.get(start..end).map(<[u8]>::to_vec).ok_or_else(truncated)
            }
            Source::File(file) => {
                let mut buf = vec![0; len];
                std::os::unix::fs::FileExt::read_exact_at(file, &mut buf, start).map_err(|_| truncated())?;
                Ok(buf)
            }
        }
    }
}

/// A vault file whose prefix (header, sealed state) has been read, waiting for its
/// key.
pub struct LockedView {
    source: Source,
    file_len: u64,
    prefix: ViewPrefix,
}

impl LockedView {
    /// Reads the prefix of the vault file at `path`.
    pub fn read(path: &Path) -> Result<LockedView, VaultError> {
        let (file, file_len) = crate::vault_file::open_vault_file(path)?;
        let prefix = ViewPrefix::read(&mut std::io::BufReader::new(&file), file_len)?;
        Ok(LockedView { source: Source::File(file), file_len, prefix })
    }

    /// A whole file already in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<LockedView, VaultError> {
        let file_len = bytes.len() as u64;
        let prefix = ViewPrefix::read(&mut &bytes[..], file_len)?;
        Ok(LockedView { source: Source::Bytes(bytes), file_len, prefix })
    }

    /// The cleartext header (to find the key: agent or KDF).
    pub fn header(&self) -> &FileHeader {
        &self.prefix.header
    }

    /// Opens the view with the vault key: decrypts the sealed state and its index.
    pub fn unlock(self, ring: KeyRing) -> Result<VaultView, VaultError> {
        let LockedView { source, file_len, prefix } = self;
        let ViewPrefix { header, state, blobs_at } = prefix;
        let plain = open_local_in_place(ring.current(), STATE_LABEL, &header.account_id(), state)
            .map_err(|_| VaultError::Tampered)?;
        match local_state::split(plain)? {
            Some(state) => Ok(VaultView { source, header, blobs_at, ring, state }),
            None => VaultView::open(local_state::upgrade(&source.read_range(0, file_len)?, &ring)?, ring),
        }
    }
}

/// The read-only view.
///
/// Nothing is checked against the file's cleartext table: the index is sealed with
/// the vault key, gives each blob's place and hash, and each blob read must hash to
/// its entry. A damaged table or a dropped blob therefore fails only the items it
/// touches, while any write (a full [`Vault::open`](crate::Vault::open)) refuses the whole file.
pub struct VaultView {
    source: Source,
    header: FileHeader,
    blobs_at: u64,
    ring: KeyRing,
    state: local_state::Split,
}

impl VaultView {
    /// Opens a whole file held in memory with the vault key.
    pub fn open(bytes: Vec<u8>, ring: KeyRing) -> Result<VaultView, VaultError> {
        LockedView::from_bytes(bytes)?.unlock(ring)
    }

    /// The cleartext header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The sealed local state (sync settings, pending changes), decoded on demand.
    pub fn state(&self) -> Result<LocalState, VaultError> {
        self.state.meta(&self.header.account_id())
    }

    /// The index entry of every item in use, sorted by id.
    pub fn entries(&self) -> impl Iterator<Item = IndexRecordRef<'_>> {
        self.entries_in(Scope::Live)
    }

    /// The index entry of every item in `scope`, sorted by id.
    pub fn entries_in(&self, scope: Scope) -> impl Iterator<Item = IndexRecordRef<'_>> {
        self.state.index.iter().filter(move |e| e.in_scope(scope))
    }

    /// Every item in use matching `query`, sorted by name.
    pub fn search(&self, query: &str) -> Vec<ItemId> {
        self.search_in(query, Scope::Live)
    }

    /// Every item in `scope` matching `query`, sorted by name.
    pub fn search_in(&self, query: &str, scope: Scope) -> Vec<ItemId> {
        crate::index::search_in(self.state.index.iter(), query, scope)
    }

    /// Resolves `query` among the live items of `kind` only, as [`ItemLookup::find`] does
    /// among all (`hush ssh pubkey NAME` finds the SSH key, not a login of that name).
    pub fn find_kind(&self, query: &str, kind: crate::ItemKind) -> Matches {
        crate::index::find(self.state.index.iter().filter(move |e| e.kind() == kind), query)
    }

    /// Resolves `query` as an exact name or a full id ([`crate::find_exact`]).
    pub fn find_exact(&self, query: &str) -> Matches {
        crate::index::find_exact(self.state.index.iter(), query)
    }

    /// Every live item of `kind`, sorted by name (then id).
    pub fn of_kind(&self, kind: crate::ItemKind) -> Vec<ItemId> {
        crate::index::search(self.state.index.iter().filter(move |e| e.kind() == kind), "")
    }

    /// Decrypts one item, checking its blob against the index.
    pub fn item(&self, id: &ItemId) -> Result<Item, VaultError> {
        let entry = self.state.index.find_id(id).ok_or(VaultError::Tampered)?;
        let span = entry.blob();
        let start = self.blobs_at.checked_add(span.offset).ok_or(VaultError::Tampered)?;
        let blob = self.source.read_range(start, u64::from(span.len))?;
        if hush_crypto::blob_hash(&blob) != entry.blob_hash() {
            return Err(VaultError::Tampered);
        }
        decrypt_item(&self.ring, &self.header.account_id(), id, &blob)
    }
}

impl ItemLookup for VaultView {
    fn find_in(&self, query: &str, scope: Scope) -> Matches {
        crate::index::find_in(self.state.index.iter(), query, scope)
    }

    fn entry(&self, id: &ItemId) -> Option<IndexRecord> {
        self.state.index.find_id(id).filter(|e| !e.deleted()).map(IndexRecordRef::to_entry)
    }
}

#[cfg(test)]
mod tests {
    use hush_crypto::{FloorPolicy, KdfParams};

    use super::*;
    use crate::Vault;
    use crate::{Item, ItemKind};

    fn vault_with(names: &[&str]) -> (Vault, Vec<ItemId>) {
        let (mut v, _) =
            Vault::create("pw", KdfParams { m_kib: 64, t: 1, p: 1 }, FloorPolicy::AllowInsecure).unwrap();
        let ids = names
            .iter()
            .map(|n| {
                let mut item = Item::new(ItemKind::Login, *n, 1);
                item.password = format!("secret-{n}");
                item.urls = vec![format!("https://www.{n}.example/login")];
                v.add(item)
            })
            .collect();
        (v, ids)
    }

    #[test]
    fn finds_and_decrypts_one_item() {
        let (v, ids) = vault_with(&["alpha", "beta", "gamma"]);
        let view = VaultView::open(v.to_bytes(), v.ring().clone()).unwrap();
        assert_eq!(view.find("beta"), Matches::One(ids[1]));
        assert_eq!(view.find("gamma.example"), Matches::One(ids[2]), "hosts are indexed");
        assert_eq!(view.item(&ids[1]).unwrap().password, "secret-beta");
        assert_eq!(view.entries().count(), 3);
        assert_eq!(view.search(""), v.search(""));
    }

    #[test]
    fn a_blob_swapped_for_an_older_or_another_one_is_tampering() {
        let (mut v, ids) = vault_with(&["alpha", "beta"]);
        let old = v.entries()[&ids[0]].blob.clone();
        v.update(&ids[0], 2, |i| i.password = "new".into());
        let mut file = v.to_file();
        // An authentic but older blob of the same item (a local rollback).
        file.items.iter_mut().find(|(id, _)| *id == ids[0]).unwrap().1 = old;
        let view = VaultView::open(file.to_bytes(), v.ring().clone()).unwrap();
        assert!(matches!(view.item(&ids[0]), Err(VaultError::Tampered)));
        assert!(view.item(&ids[1]).is_ok(), "other items still open");
        // Another item's blob under this id.
        let mut file = v.to_file();
        let other = file.items[1].1.clone();
        file.items[0].1 = other;
        let view = VaultView::open(file.to_bytes(), v.ring().clone()).unwrap();
        assert!(matches!(view.item(&file.items[0].0), Err(VaultError::Tampered)));
    }

    #[test]
    fn a_dropped_or_added_item_is_tampering() {
        let (v, _) = vault_with(&["alpha", "beta"]);
        // The sealed index still lists what the vault wrote: the dropped item cannot
        // be read, the other one still can, and a write refuses the file.
        let mut dropped = v.to_file();
        let (gone, _) = dropped.items.pop().unwrap();
        let kept = dropped.items[0].0;
        let view = VaultView::open(dropped.to_bytes(), v.ring().clone()).unwrap();
        assert_eq!(view.entries().count(), 2);
        assert_eq!(view.item(&kept).unwrap().password, v.get(&kept).unwrap().password);
        let err = view.item(&gone).err().unwrap();
        assert!(matches!(err, VaultError::Corrupt(_)), "{err}");
        assert!(matches!(Vault::open(&dropped, v.ring().clone()), Err(VaultError::Tampered)));
        // An item added outside hush is not in the index: never shown, and a write
        // refuses the file.
        let mut added = v.to_file();
        added.items.push((ItemId([0xff; 16]), vec![1; 300]));
        let view = VaultView::open(added.to_bytes(), v.ring().clone()).unwrap();
        assert_eq!(view.entries().count(), 2);
        assert!(matches!(view.item(&ItemId([0xff; 16])), Err(VaultError::Tampered)));
        assert!(matches!(Vault::open(&added, v.ring().clone()), Err(VaultError::Tampered)));
    }

    #[test]
    fn a_tampered_sealed_state_or_another_key_is_refused() {
        let (v, _) = vault_with(&["alpha"]);
        let mut file = v.to_file();
        let last = file.state.len() - 1;
        file.state[last] ^= 1;
        assert!(matches!(VaultView::open(file.to_bytes(), v.ring().clone()), Err(VaultError::Tampered)));
        let other = KeyRing::new(1, hush_crypto::VaultKey::generate());
        assert!(matches!(VaultView::open(v.to_bytes(), other), Err(VaultError::Tampered)));
    }

    #[test]
    fn a_file_with_the_version_1_state_is_viewed_and_rewritten_as_version_2() {
        let (mut v, ids) = vault_with(&["alpha", "beta", "gamma"]);
        v.delete(&ids[2], 5);
        let file = crate::local_state::tests::with_version_1_state(&v, None);
        let view = VaultView::open(file.to_bytes(), v.ring().clone()).unwrap();
        assert_eq!(view.find("beta"), Matches::One(ids[1]));
        assert_eq!(view.item(&ids[0]).unwrap().password, "secret-alpha");
        assert_eq!(view.entries().count(), 2, "the tombstone is not listed");
        let reopened = Vault::open(&file, v.ring().clone()).unwrap();
        assert!(reopened.index_entries().eq(v.index_entries()));
        let plain =
            hush_crypto::open_local(v.vault_key(), STATE_LABEL, &v.account_id(), &reopened.to_file().state)
                .unwrap();
        assert_eq!(plain[0], local_state::STATE_VERSION);
    }

    #[test]
    fn exact_and_per_kind_lookups() {
        let (mut v, ids) = vault_with(&["alpha", "alphabet", "Beta"]);
        let mut key = Item::new(ItemKind::SshKey, "alpha", 1);
        key.ssh_key = Some("k".into());
        let key_id = v.add(key);
        let view = VaultView::open(v.to_bytes(), v.ring().clone()).unwrap();
        // Exact: names only (letter case ignored) or a full id, never a substring.
        assert_eq!(view.find_exact("beta"), Matches::One(ids[2]));
        assert_eq!(view.find_exact("alphab"), Matches::None);
        assert_eq!(view.find_exact("bet"), Matches::None);
        assert!(matches!(view.find_exact("ALPHA"), Matches::Many(m) if m.len() == 2));
        assert_eq!(view.find_exact(&ids[1].to_string()), Matches::One(ids[1]));
        assert_eq!(view.find_exact(&ids[1].to_string()[..8]), Matches::None, "no id prefixes");
        // Per kind: the SSH key named like a login.
        assert_eq!(view.find_kind("alpha", ItemKind::SshKey), Matches::One(key_id));
        assert_eq!(view.find_kind("beta", ItemKind::SshKey), Matches::None);
        assert_eq!(view.of_kind(ItemKind::SshKey), vec![key_id]);
    }

    #[test]
    fn the_index_survives_a_full_open_and_save() {
        let (v, ids) = vault_with(&["alpha"]);
        let reopened = Vault::open(&v.to_file(), v.ring().clone()).unwrap();
        let view = VaultView::open(reopened.to_bytes(), v.ring().clone()).unwrap();
        assert_eq!(view.find("alpha"), Matches::One(ids[0]));
    }
}

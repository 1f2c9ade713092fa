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

use hush_crypto::{AccountId, ItemId, ManifestDigest, VaultKey, open_local};

use crate::file::{FileHeader, RawFile};
use crate::index::{Found, IndexEntry, Lookup};
use crate::state::{LocalState, STATE_LABEL, STATE_VERSION};
use crate::{Item, Vault, VaultError, VaultFile, codec, decrypt_item};

/// Where the blobs are read from.
enum Source {
    /// An open vault file: blobs are read with `pread`, one at a time. The handle
    /// keeps the version that was opened even if a writer renames a new one over it.
    File(std::fs::File),
    /// A whole file in memory.
    Bytes(Vec<u8>),
}

/// A vault file whose prefix (header, sealed state, table) has been read, waiting
/// for its key.
pub struct LockedView {
    source: Source,
    raw: RawFile,
}

impl LockedView {
    /// Reads the prefix of the vault file at `path`.
    pub fn read(path: &Path) -> Result<LockedView, VaultError> {
        let file = std::fs::File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => VaultError::NotFound(path.to_owned()),
            _ => VaultError::Io { path: path.to_owned(), source: e },
        })?;
        let len = file.metadata().map_err(VaultError::io(path))?.len();
        let raw = RawFile::read_prefix(&mut std::io::BufReader::new(&file), len)?;
        Ok(LockedView { source: Source::File(file), raw })
    }

    /// A whole file already in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<LockedView, VaultError> {
        let raw = RawFile::parse(&bytes)?;
        Ok(LockedView { source: Source::Bytes(bytes), raw })
    }

    /// The cleartext header (to find the key: agent or KDF).
    pub fn header(&self) -> &FileHeader {
        &self.raw.header
    }

    /// Opens the view with the vault key: checks the sealed index against the file.
    pub fn unlock(self, vk: VaultKey) -> Result<VaultView, VaultError> {
        let LockedView { source, raw } = self;
        let account_id = AccountId(raw.header.account_id);
        let plain =
            open_local(&vk, STATE_LABEL, &account_id, &raw.state).map_err(|_| VaultError::Tampered)?;
        let mut state: LocalState = codec::decode(STATE_VERSION, &plain, u64::MAX)?;
        drop(plain);
        let mut view = VaultView { source, raw, vk, index: std::mem::take(&mut state.index) };
        if view.index.is_empty() && !view.raw.items.is_empty() {
            // A file written before the index existed: build it with a full open.
            let vault = Vault::open(&VaultFile::from_bytes(&view.read_all()?)?, view.vk.clone())?;
            view.index = vault.index_entries().cloned().collect();
        }
        let ids_match = view.index.len() == view.raw.items.len()
            && view.index.iter().zip(&view.raw.items).all(|(e, (id, _))| e.id == id.0);
        let digest = ManifestDigest::from_blob_hashes(view.index.iter().map(|e| (e.item_id(), e.blob_hash)));
        if !ids_match || digest.0 != state.items_digest {
            return Err(VaultError::Tampered);
        }
        Ok(view)
    }
}

/// The read-only view.
pub struct VaultView {
    source: Source,
    raw: RawFile,
    vk: VaultKey,
    index: Vec<IndexEntry>,
}

impl VaultView {
    /// Opens a whole file held in memory with the vault key.
    pub fn open(bytes: Vec<u8>, vk: VaultKey) -> Result<VaultView, VaultError> {
        LockedView::from_bytes(bytes)?.unlock(vk)
    }

    /// The cleartext header.
    pub fn header(&self) -> &FileHeader {
        &self.raw.header
    }

    /// Every live item's index entry, sorted by id.
    pub fn entries(&self) -> impl Iterator<Item = &IndexEntry> {
        self.index.iter().filter(|e| !e.deleted)
    }

    /// Every live item matching `query`, sorted by name.
    pub fn search(&self, query: &str) -> Vec<ItemId> {
        crate::index::search(self.index.iter(), query)
    }

    fn read_range(&self, range: std::ops::Range<u64>) -> Result<Vec<u8>, VaultError> {
        let truncated = || VaultError::Corrupt("the file is truncated".into());
        match &self.source {
            Source::Bytes(bytes) => {
                let start = usize::try_from(range.start).map_err(|_| truncated())?;
                let end = usize::try_from(range.end).map_err(|_| truncated())?;
                bytes.get(start..end).map(<[u8]>::to_vec).ok_or_else(truncated)
            }
            Source::File(file) => {
                let len = usize::try_from(range.end - range.start).map_err(|_| truncated())?;
                let mut buf = vec![0; len];
                std::os::unix::fs::FileExt::read_exact_at(file, &mut buf, range.start)
                    .map_err(|_| truncated())?;
                Ok(buf)
            }
        }
    }

    fn read_all(&self) -> Result<Vec<u8>, VaultError> {
        let end = self.raw.items.last().map_or(0, |(_, r)| r.end);
        self.read_range(0..end)
    }

    /// Decrypts one live item, checking its blob against the index.
    pub fn item(&self, id: &ItemId) -> Result<Item, VaultError> {
        let pos = self.index.binary_search_by(|e| e.id.cmp(&id.0)).map_err(|_| VaultError::Tampered)?;
        let blob = self.read_range(self.raw.items[pos].1.clone())?;
        if hush_crypto::blob_hash(&blob) != self.index[pos].blob_hash {
            return Err(VaultError::Tampered);
        }
        decrypt_item(&self.vk, &self.raw.header.account_id(), id, self.raw.header.key_version, &blob)
    }
}

impl Lookup for VaultView {
    fn find(&self, query: &str) -> Found {
        crate::index::find(self.index.iter(), query)
    }

    fn entry(&self, id: &ItemId) -> Option<&IndexEntry> {
        self.index.binary_search_by(|e| e.id.cmp(&id.0)).ok().map(|i| &self.index[i]).filter(|e| !e.deleted)
    }
}

#[cfg(test)]
mod tests {
    use hush_crypto::{FloorPolicy, KdfParams};

    use super::*;
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
        let view = VaultView::open(v.to_file().to_bytes(), v.vault_key().clone()).unwrap();
        assert_eq!(view.find("beta"), Found::One(ids[1]));
        assert_eq!(view.find("gamma.example"), Found::One(ids[2]), "hosts are indexed");
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
        let view = VaultView::open(file.to_bytes(), v.vault_key().clone()).unwrap();
        assert!(matches!(view.item(&ids[0]), Err(VaultError::Tampered)));
        assert!(view.item(&ids[1]).is_ok(), "other items still open");
        // Another item's blob under this id.
        let mut file = v.to_file();
        let other = file.items[1].1.clone();
        file.items[0].1 = other;
        let view = VaultView::open(file.to_bytes(), v.vault_key().clone()).unwrap();
        assert!(matches!(view.item(&file.items[0].0), Err(VaultError::Tampered)));
    }

    #[test]
    fn a_dropped_or_added_item_is_tampering() {
        let (v, _) = vault_with(&["alpha", "beta"]);
        let mut file = v.to_file();
        file.items.pop();
        assert!(matches!(VaultView::open(file.to_bytes(), v.vault_key().clone()), Err(VaultError::Tampered)));
        let mut file = v.to_file();
        file.items.push((ItemId([0xff; 16]), vec![1; 300]));
        assert!(matches!(VaultView::open(file.to_bytes(), v.vault_key().clone()), Err(VaultError::Tampered)));
    }

    #[test]
    fn the_index_survives_a_full_open_and_save() {
        let (v, ids) = vault_with(&["alpha"]);
        let reopened = Vault::open(&v.to_file(), v.vault_key().clone()).unwrap();
        let view = VaultView::open(reopened.to_file().to_bytes(), v.vault_key().clone()).unwrap();
        assert_eq!(view.find("alpha"), Found::One(ids[0]));
    }
}

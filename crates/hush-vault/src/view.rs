//! A read-only view of the vault for commands that show one item or a listing
//! (`get`, `copy`, `totp`, `history`, `ls`): it decrypts the sealed local state with
//! its search index and then only the item asked for — so the cost of `hush get` on
//! 10,000 items is one small AEAD, not 10,000 (issue #4).
//!
//! Authenticity is the same as with a full open: the index is sealed with the vault
//! key; its ids must be exactly the file's, and its digest the sealed one; and each
//! blob decrypted must hash to its index entry, so a blob swapped for an older one,
//! or moved from another item, is refused as tampering.

use hush_crypto::{AccountId, ItemId, ManifestDigest, VaultKey, open_local};

use crate::file::{FileHeader, RawFile};
use crate::index::{Found, IndexEntry, Lookup};
use crate::state::{LocalState, STATE_LABEL, STATE_VERSION};
use crate::{Item, Vault, VaultError, VaultFile, codec, decrypt_item};

/// The read-only view.
pub struct VaultView {
    bytes: Vec<u8>,
    raw: RawFile,
    vk: VaultKey,
    index: Vec<IndexEntry>,
}

impl VaultView {
    /// Opens the file's bytes with the vault key.
    pub fn open(bytes: Vec<u8>, vk: VaultKey) -> Result<VaultView, VaultError> {
        let raw = RawFile::parse(&bytes)?;
        let account_id = AccountId(raw.header.account_id);
        let plain = open_local(&vk, STATE_LABEL, &account_id, &bytes[raw.state.clone()])
            .map_err(|_| VaultError::Tampered)?;
        let state: LocalState = codec::decode(STATE_VERSION, &plain, u64::MAX)?;
        let mut index = state.index.clone();
        if index.is_empty() && !raw.items.is_empty() {
            // A file written before the index existed: build it with a full open.
            let vault = Vault::open(&VaultFile::from_bytes(&bytes)?, vk.clone())?;
            index = vault.index_entries().cloned().collect();
        }
        let ids_match =
            index.len() == raw.items.len() && index.iter().zip(&raw.items).all(|(e, (id, _))| e.id == id.0);
        let digest = ManifestDigest::from_blob_hashes(index.iter().map(|e| (e.item_id(), e.blob_hash)));
        if !ids_match || digest.0 != state.items_digest {
            return Err(VaultError::Tampered);
        }
        Ok(VaultView { bytes, raw, vk, index })
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

    /// Decrypts one live item, checking its blob against the index.
    pub fn item(&self, id: &ItemId) -> Result<Item, VaultError> {
        let pos = self.index.binary_search_by(|e| e.id.cmp(&id.0)).map_err(|_| VaultError::Tampered)?;
        let range = self.raw.items[pos].1.clone();
        let blob = &self.bytes[range];
        if hush_crypto::blob_hash(blob) != self.index[pos].blob_hash {
            return Err(VaultError::Tampered);
        }
        decrypt_item(&self.vk, &self.raw.header.account_id(), id, self.raw.header.key_version, blob)
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

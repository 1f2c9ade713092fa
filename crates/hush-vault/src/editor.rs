//! Small edits without opening the whole vault: `hush add`, `edit` and `rm` change one
//! item, so they decrypt only that one, seal it, and copy every other blob unread.
//! Through a full [`Vault::open`](crate::Vault::open), `hush add` on 10,000 items took about 100 ms, most
//! of it decrypting every item and zeroizing them again (docs/benchmarks.md, C2).
//!
//! The file is checked as strictly as a full open before anything is written: the
//! sealed state must authenticate, the file's items must be exactly the index's, in
//! order, and every blob must hash to its index entry, whose hashes must give the
//! sealed `items_digest`. So a file modified outside hush is refused, never rewritten,
//! and the blobs copied are byte for byte those the vault sealed.

use std::collections::BTreeMap;

use hush_crypto::{ItemId, KeyRing, ManifestDigest, blob_hash, open_local_in_place};

use crate::index::table::{IndexRecordRef, IndexTable, Record};
use crate::index::{IndexRecord, ItemLookup, Matches, Scope, SearchFields};
use crate::local_state::{self, LocalState, STATE_LABEL};
use crate::vault::seal_item_checked;
use crate::vault_file::{FileHeader, RawFile, in_memory, write_file};
use crate::{Item, ItemKind, VaultError, decrypt_item};

/// A vault opened for a small edit.
pub struct Editor {
    /// The whole file as read.
    bytes: Vec<u8>,
    raw: RawFile,
    ring: KeyRing,
    state: LocalState,
    /// The file's index, in the same order as `raw.items`.
    index: IndexTable,
    /// The items sealed since the file was read.
    changed: BTreeMap<ItemId, Changed>,
}

struct Changed {
    blob: Vec<u8>,
    entry: IndexRecord,
    item: Item,
}

impl Editor {
    /// Opens a whole vault file held in memory with the vault key, checking it
    /// (module documentation) without decrypting any item.
    pub fn open(bytes: Vec<u8>, ring: KeyRing) -> Result<Editor, VaultError> {
        let mut raw = RawFile::parse(&bytes)?;
        // Decrypted where it lies, and not kept sealed: it is megabytes on a large vault.
        let sealed = std::mem::take(&mut raw.state);
        let plain = open_local_in_place(ring.current(), STATE_LABEL, &raw.header.account_id(), sealed)
            .map_err(|_| VaultError::Tampered)?;
        let Some(split) = local_state::split(plain)? else {
            return Editor::open(local_state::upgrade(&bytes, &ring)?, ring);
        };
        let state = split.meta(&raw.header.account_id())?;
        let index = split.index;
        let same_items = index.len() == raw.items.len()
            && index.iter().zip(&raw.items).all(|(e, (id, range))| {
                e.item_id() == *id && blob_hash(&bytes[in_memory(range)]) == e.blob_hash()
            });
        let digest = ManifestDigest::from_blob_hashes(index.iter().map(|e| (e.item_id(), e.blob_hash())));
        if !same_items || digest.0 != state.items_digest {
            return Err(VaultError::Tampered);
        }
        Ok(Editor { bytes, raw, ring, state, index, changed: BTreeMap::new() })
    }

    /// The cleartext header.
    pub fn header(&self) -> &FileHeader {
        &self.raw.header
    }

    /// The sealed local state.
    pub fn state(&self) -> &LocalState {
        &self.state
    }

    /// The key ring.
    pub fn ring(&self) -> &KeyRing {
        &self.ring
    }

    /// Whether any item was sealed since the file was read.
    pub fn is_changed(&self) -> bool {
        !self.changed.is_empty()
    }

    /// Every index entry as it stands now, tombstones included, in no set order.
    fn current(&self) -> impl Iterator<Item = Current<'_>> + Clone {
        self.index
            .iter()
            .filter(|e| !self.changed.contains_key(&e.item_id()))
            .map(Current::Stored)
            .chain(self.changed.values().map(|c| Current::Changed(&c.entry)))
    }

    /// Whether an item in use is named `name` (ignoring ASCII case).
    pub fn has_name(&self, name: &str) -> bool {
        !self.names_like(name).is_empty()
    }

    /// The names of the items in use named `name` but for ASCII case, sorted: what `hush add`
    /// asks about before it adds a second item of the same name.
    pub fn names_like(&self, name: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .current()
            .filter(|e| e.in_scope(Scope::Live) && e.name_is(name))
            .map(|e| e.name().to_owned())
            .collect();
        names.sort();
        names
    }

    /// The ids of the items in the trash, sorted.
    pub fn trashed_ids(&self) -> Vec<ItemId> {
        let mut ids: Vec<ItemId> =
            self.current().filter(|e| e.in_scope(Scope::Trash)).map(|e| e.item_id()).collect();
        ids.sort();
        ids
    }

    /// Replaces every item that has been in the trash for [`TRASH_DAYS`](crate::TRASH_DAYS) by
    /// its tombstone, as [`Vault::purge_expired_trash`](crate::Vault::purge_expired_trash)
    /// does; returns their names. Decrypts only the items in the trash.
    pub fn purge_expired_trash(&mut self, now: i64) -> Result<Vec<String>, VaultError> {
        let mut names = Vec::new();
        for id in self.trashed_ids() {
            if let Some(item) = self.get(&id)?
                && item.trash_expired(now)
            {
                self.put(id, item.tombstone(now))?;
                names.push(item.name.clone());
            }
        }
        Ok(names)
    }

    /// The blob of `id` as it stands now.
    fn blob(&self, id: &ItemId) -> Option<&[u8]> {
        match self.changed.get(id) {
            Some(c) => Some(&c.blob),
            None => self.index.position(id).map(|i| &self.bytes[in_memory(&self.raw.items[i].1)]),
        }
    }

    /// An item, decrypted, unless it is a tombstone (items in the trash included).
    pub fn get(&self, id: &ItemId) -> Result<Option<Item>, VaultError> {
        let item = match (self.changed.get(id), self.blob(id)) {
            (Some(c), _) => c.item.clone(),
            (None, Some(blob)) => decrypt_item(&self.ring, &self.raw.header.account_id(), id, blob)?,
            (None, None) => return Ok(None),
        };
        Ok(Some(item).filter(|i| !i.deleted))
    }

    /// Stores `item` under `id` as a local edit, as [`Vault::try_put`](crate::Vault::try_put)
    /// does: every edit here is one a user asked for, so an item larger than the sync
    /// server takes is refused ([`VaultError::ItemTooLarge`]) and nothing changes.
    pub fn put(&mut self, id: ItemId, item: Item) -> Result<(), VaultError> {
        let blob = seal_item_checked(&self.ring, &self.raw.header.account_id(), &id, &item)?;
        let current = self.blob(&id).map(<[u8]>::to_vec);
        self.state.mark_pending(id, current.as_deref());
        let entry = IndexRecord::new(id, &blob, &item);
        self.changed.insert(id, Changed { blob, entry, item });
        Ok(())
    }

    /// Adds a new item under a fresh id.
    pub fn add(&mut self, item: Item) -> Result<ItemId, VaultError> {
        let id = ItemId::random();
        self.put(id, item)?;
        Ok(id)
    }

    /// Applies `edit` to an item that is not a tombstone, as [`Vault::update`](crate::Vault::update) does.
    pub fn update(
        &mut self,
        id: &ItemId,
        now: i64,
        edit: impl FnOnce(&mut Item),
    ) -> Result<bool, VaultError> {
        let Some(item) = self.get(id)? else { return Ok(false) };
        self.put(*id, item.edited(now, edit))?;
        Ok(true)
    }

    /// Replaces an item (in use or in the trash) by its tombstone, as [`Vault::delete`](crate::Vault::delete) does.
    pub fn delete(&mut self, id: &ItemId, now: i64) -> Result<bool, VaultError> {
        let Some(old) = self.get(id)? else { return Ok(false) };
        self.put(*id, old.tombstone(now))?;
        Ok(true)
    }

    /// The new file: the unchanged blobs copied, the changed ones in their place, and
    /// the index and digest over both.
    pub fn to_bytes(&self) -> Vec<u8> {
        // The file's items and the changed ones, merged in id order.
        let mut items: Vec<(ItemId, &[u8], Current<'_>)> =
            Vec::with_capacity(self.raw.items.len() + self.changed.len());
        let mut changed = self.changed.iter().peekable();
        fn as_item<'a>((id, c): (&'a ItemId, &'a Changed)) -> (ItemId, &'a [u8], Current<'a>) {
            (*id, &c.blob, Current::Changed(&c.entry))
        }
        for (i, (id, range)) in self.raw.items.iter().enumerate() {
            while let Some(c) = changed.next_if(|(c, _)| *c < id) {
                items.push(as_item(c));
            }
            match changed.next_if(|(c, _)| *c == id) {
                Some(c) => items.push(as_item(c)),
                None => items.push((*id, &self.bytes[in_memory(range)], Current::Stored(self.index.get(i)))),
            }
        }
        items.extend(changed.map(as_item));
        let entries = items.iter().map(|(_, blob, e)| (*e, blob.len()));
        let sealed =
            local_state::seal(self.ring.current(), &self.raw.header.account_id(), &self.state, entries);
        write_file(&self.raw.header, &sealed, items.iter().map(|(id, blob, _)| (*id, *blob)))
    }
}

impl ItemLookup for Editor {
    fn find_in(&self, query: &str, scope: Scope) -> Matches {
        crate::index::find_in(self.current(), query, scope)
    }

    fn entry(&self, id: &ItemId) -> Option<IndexRecord> {
        let entry = match self.changed.get(id) {
            Some(c) => c.entry.clone(),
            None => self.index.find_id(id)?.to_entry(),
        };
        Some(entry).filter(|e| !e.deleted)
    }
}

/// An index entry as it stands now: read from the file, or of an item sealed since.
#[derive(Clone, Copy)]
enum Current<'a> {
    Stored(IndexRecordRef<'a>),
    Changed(&'a IndexRecord),
}

impl SearchFields for Current<'_> {
    fn item_id(&self) -> ItemId {
        match self {
            Current::Stored(e) => e.item_id(),
            Current::Changed(e) => e.item_id(),
        }
    }

    fn name(&self) -> &str {
        match self {
            Current::Stored(e) => e.name(),
            Current::Changed(e) => &e.name,
        }
    }

    fn username(&self) -> &str {
        match self {
            Current::Stored(e) => e.username(),
            Current::Changed(e) => &e.username,
        }
    }

    fn hosts(&self) -> impl Iterator<Item = &str> {
        let (stored, changed) = match self {
            Current::Stored(e) => (Some(e.hosts()), None),
            Current::Changed(e) => (None, Some(e.hosts.iter().map(String::as_str))),
        };
        stored.into_iter().flatten().chain(changed.into_iter().flatten())
    }

    fn tags(&self) -> impl Iterator<Item = &str> {
        let (stored, changed) = match self {
            Current::Stored(e) => (Some(e.tags()), None),
            Current::Changed(e) => (None, Some(e.tags.iter().map(String::as_str))),
        };
        stored.into_iter().flatten().chain(changed.into_iter().flatten())
    }

    fn deleted(&self) -> bool {
        match self {
            Current::Stored(e) => e.deleted(),
            Current::Changed(e) => e.deleted,
        }
    }

    fn trashed(&self) -> bool {
        match self {
            Current::Stored(e) => e.trashed(),
            Current::Changed(e) => e.trashed,
        }
    }

    fn name_is_exactly(&self, name: &str) -> bool {
        match self {
            Current::Stored(e) => e.name_is_exactly(name),
            Current::Changed(e) => e.name == name,
        }
    }

    fn name_is(&self, name: &str) -> bool {
        match self {
            Current::Stored(e) => e.name_is(name),
            Current::Changed(e) => e.name.eq_ignore_ascii_case(name),
        }
    }
}

impl Record for Current<'_> {
    fn blob_hash(&self) -> [u8; 32] {
        match self {
            Current::Stored(e) => Record::blob_hash(e),
            Current::Changed(e) => e.blob_hash,
        }
    }

    fn kind(&self) -> ItemKind {
        match self {
            Current::Stored(e) => Record::kind(e),
            Current::Changed(e) => e.kind,
        }
    }

    fn flags(&self) -> u8 {
        match self {
            Current::Stored(e) => e.flags(),
            Current::Changed(e) => e.flags(),
        }
    }

    fn updated(&self) -> i64 {
        match self {
            Current::Stored(e) => Record::updated(e),
            Current::Changed(e) => e.updated,
        }
    }
}

#[cfg(test)]
mod tests {
    use hush_crypto::{FloorPolicy, KdfParams};

    use super::*;
    use crate::{Vault, VaultFile};

    /// A vault of `n` logins that has been synced: nothing pending.
    fn synced_vault(n: usize) -> (Vault, Vec<ItemId>) {
        let weak = KdfParams { m_kib: 64, t: 1, p: 1 };
        let (mut v, _) = Vault::create("pw", weak, FloorPolicy::AllowInsecure).unwrap();
        let ids = (0..n)
            .map(|i| {
                let mut item = Item::new(ItemKind::Login, format!("site {i}"), 1);
                item.password = format!("pw {i}");
                item.urls = vec![format!("https://site{i}.example/")];
                v.add(item)
            })
            .collect();
        v.state_mut().pending.clear();
        (v, ids)
    }

    #[test]
    fn edits_give_the_vault_a_full_open_and_save_would() {
        let (v, ids) = synced_vault(40);
        let original = v.to_file();
        let blob_of = |id: &ItemId| original.items.iter().find(|(i, _)| i == id).unwrap().1.clone();

        let mut ed = Editor::open(original.to_bytes(), v.ring().clone()).unwrap();
        assert!(ed.update(&ids[3], 50, |i| i.username = "new user".into()).unwrap());
        assert!(ed.update(&ids[3], 60, |i| i.set_password("pw 3b".into(), 60)).unwrap());
        assert!(ed.delete(&ids[7], 70).unwrap());
        assert!(!ed.delete(&ids[7], 71).unwrap(), "a tombstone is not live");
        let mut added = Item::new(ItemKind::Note, "fresh", 80);
        added.tags = vec!["tag".into()];
        let new = ed.add(added.clone()).unwrap();
        // Lookups see the edits before they are saved.
        assert_eq!(ed.find("fresh"), Matches::One(new));
        assert_eq!(ed.find("site 7"), Matches::None);
        assert_eq!(ed.entry(&ids[3]).unwrap().username, "new user");
        assert!(ed.has_name("FRESH") && !ed.has_name("site 7"));

        // The same edits through the full vault.
        let mut full = Vault::open(&original, v.ring().clone()).unwrap();
        full.update(&ids[3], 50, |i| i.username = "new user".into());
        full.update(&ids[3], 60, |i| i.set_password("pw 3b".into(), 60));
        full.delete(&ids[7], 70);
        full.put(new, added);

        let file = VaultFile::from_bytes(&ed.to_bytes()).unwrap();
        let edited = Vault::open(&file, v.ring().clone()).unwrap();
        assert_eq!(edited.entries().len(), 41);
        for (id, entry) in edited.entries() {
            assert!(entry.item == full.entries()[id].item, "{id}");
        }
        // The index entries agree except for the hashes of blobs sealed with other nonces.
        let strip = |e: &IndexRecord| {
            let mut e = e.clone();
            e.blob_hash = [0; 32];
            e
        };
        assert!(edited.index_entries().map(strip).eq(full.index_entries().map(strip)));
        for e in edited.index_entries() {
            assert_eq!(e.blob_hash, blob_hash(&edited.entries()[&e.item_id()].blob));
        }
        let state = edited.state();
        assert_eq!(state.pending, full.state().pending);
        assert_eq!(state.pending.len(), 3);
        // The merge bases are the blobs the server had, not the first local edit.
        assert_eq!(state.base.get(&ids[3].0), Some(&blob_of(&ids[3])));
        assert_eq!(state.base.get(&ids[7].0), Some(&blob_of(&ids[7])));
        assert_eq!(state.base.get(&new.0), None);
        // Every other blob is copied byte for byte.
        for (id, blob) in &original.items {
            if ![ids[3], ids[7]].contains(id) {
                assert_eq!(&edited.entries()[id].blob, blob);
            }
        }
        // And the read-only view reads the result.
        let view = crate::VaultView::open(file.to_bytes(), v.ring().clone()).unwrap();
        assert_eq!(view.item(&ids[3]).unwrap().password, "pw 3b");
        assert_eq!(view.find("fresh"), Matches::One(new));
    }

    #[test]
    fn a_file_changed_outside_hush_is_refused_not_rewritten() {
        let (v, _) = synced_vault(5);
        let key = v.ring().clone();
        let good = v.to_file();
        let refuses = |file: &VaultFile| {
            matches!(Editor::open(file.to_bytes(), key.clone()), Err(VaultError::Tampered))
        };
        let mut flipped = good.clone();
        flipped.items[2].1[40] ^= 1;
        assert!(refuses(&flipped), "a changed blob");
        let mut swapped = good.clone();
        let other = swapped.items[1].1.clone();
        swapped.items[0].1 = other;
        assert!(refuses(&swapped), "another item's blob");
        let mut dropped = good.clone();
        dropped.items.remove(1);
        assert!(refuses(&dropped), "a dropped item");
        let mut added = good.clone();
        added.items.push((ItemId([0xff; 16]), vec![1; 64]));
        assert!(refuses(&added), "an added item");
        let mut reordered = good.clone();
        reordered.items.swap(0, 1);
        assert!(refuses(&reordered), "items out of order");
        let mut older = good.clone();
        let mut v2 = Vault::open(&good, key.clone()).unwrap();
        let id = good.items[4].0;
        v2.update(&id, 9, |i| i.notes = "newer".into());
        older.items[4].1 = v2.entries()[&id].blob.clone();
        assert!(refuses(&older), "a blob from another version of the vault");
        let mut state = good.clone();
        state.state[50] ^= 1;
        assert!(refuses(&state), "the sealed state");
        assert!(matches!(
            Editor::open(good.to_bytes(), KeyRing::new(1, hush_crypto::VaultKey::generate())),
            Err(VaultError::Tampered)
        ));
        assert!(Editor::open(good.to_bytes(), key).is_ok());
    }

    #[test]
    fn an_item_larger_than_the_server_takes_is_refused_and_nothing_changes() {
        let (v, ids) = synced_vault(3);
        let original = v.to_bytes();
        let mut ed = Editor::open(original.clone(), v.ring().clone()).unwrap();
        let mut big = Item::new(ItemKind::Note, "huge", 1);
        big.notes = "x".repeat(300 * 1024);
        let err = ed.add(big).err().unwrap();
        assert!(matches!(&err, VaultError::ItemTooLarge { name, .. } if name == "huge"), "{err}");
        let err = ed.update(&ids[1], 5, |i| i.notes = "y".repeat(300 * 1024)).err().unwrap();
        assert!(matches!(&err, VaultError::ItemTooLarge { name, .. } if name == "site 1"), "{err}");
        assert!(!ed.is_changed(), "nothing was sealed");
        assert!(ed.state().pending.is_empty());
        assert_eq!(ed.get(&ids[1]).unwrap().unwrap().notes, "");
    }

    #[test]
    fn a_format_1_file_is_edited_and_written_as_format_2() {
        let (v, ids) = synced_vault(3);
        let old = crate::vault_file::tests::to_format_1(&v.to_bytes());
        let mut ed = Editor::open(old, v.ring().clone()).unwrap();
        ed.update(&ids[0], 5, |i| i.notes = "edited".into()).unwrap();
        let bytes = ed.to_bytes();
        assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), crate::vault_file::FORMAT_VERSION);
        let edited = Vault::open(&VaultFile::from_bytes(&bytes).unwrap(), v.ring().clone()).unwrap();
        assert_eq!(edited.get(&ids[0]).unwrap().notes, "edited");
        assert_eq!(edited.len(), 3);
    }

    #[test]
    fn a_file_with_the_version_1_state_is_edited_and_written_as_version_2() {
        let (v, ids) = synced_vault(3);
        let file = crate::local_state::tests::with_version_1_state(&v, None);
        let mut ed = Editor::open(file.to_bytes(), v.ring().clone()).unwrap();
        ed.update(&ids[0], 5, |i| i.notes = "edited".into()).unwrap();
        let bytes = ed.to_bytes();
        let raw = RawFile::parse(&bytes).unwrap();
        let plain = hush_crypto::open_local(v.vault_key(), STATE_LABEL, &v.account_id(), &raw.state).unwrap();
        assert_eq!(plain[0], local_state::STATE_VERSION);
        let edited = Vault::open(&VaultFile::from_bytes(&bytes).unwrap(), v.ring().clone()).unwrap();
        assert_eq!(edited.get(&ids[0]).unwrap().notes, "edited");
        assert_eq!(edited.len(), 3);
    }
}

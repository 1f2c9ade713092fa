//! The unlocked vault: every item decrypted in memory, edits re-sealing one item at a
//! time (docs/spec/crypto-v2.md, "Goals" 3: "every item is a separate AEAD blob").

use std::collections::BTreeMap;

use hush_crypto::{
    AccountId, AccountKey, DerivedKeys, FloorPolicy, ItemBlob, ItemId, KdfParams, KdfSalt, Kek, KeyRing,
    Keyset, KeysetContext, ManifestDigest, VaultKey, derive_keys, open_local,
};

use crate::encoding::{self, MAX_PLAINTEXT};
use crate::index::{IndexRecord, ItemLookup, Matches, Scope};
use crate::local_state::{self, LocalState, STATE_LABEL};
use crate::vault_file::{FileHeader, MAX_ITEM_BLOB, VaultFile};
use crate::{Item, VaultError};

/// Format version of the item plaintext (its first byte, spec: Items) that this hush writes.
/// Version 2 added the trash (`Item::trashed`) and attachments (`Item::files`); version 1 is
/// still read (docs/vault-format.md, "Item blobs").
pub const ITEM_VERSION: u8 = 2;
/// The key version of a new vault.
pub(crate) const FIRST_KEY_VERSION: u32 = 1;

/// One item: its blob exactly as the server holds it, and its plaintext.
#[derive(Clone)]
pub struct SealedItem {
    /// The sealed item.
    pub blob: Vec<u8>,
    /// The decrypted item.
    pub item: Item,
}

/// An unlocked vault. `Clone` lets a caller try a change that a server may refuse (a password
/// change) and keep the original until it is accepted.
#[derive(Clone)]
pub struct Vault {
    header: FileHeader,
    /// Every vault key of the account; the current one seals new blobs and the state
    /// (docs/spec/crypto-v2.md, "Keyset").
    ring: KeyRing,
    entries: BTreeMap<ItemId, SealedItem>,
    /// The search index, kept in step with `entries` by every edit, so that saving
    /// never has to re-hash or re-parse every item.
    index: BTreeMap<ItemId, IndexRecord>,
    state: LocalState,
}

/// The current time in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Vault {
    /// Creates a new, empty vault with a fresh account id, account key and vault key.
    /// Runs the KDF once.
    pub fn create(
        password: &str,
        params: KdfParams,
        policy: FloorPolicy,
    ) -> Result<(Vault, AccountKey), VaultError> {
        let (vault, account_key, _) = Self::create_keyed(password, params, policy)?;
        Ok((vault, account_key))
    }

    /// [`create`](Self::create), keeping the derived keys too: `hush init` hands the auth key
    /// to the agent with the key ring, so that `hush register` right after needs no password.
    pub fn create_keyed(
        password: &str,
        params: KdfParams,
        policy: FloorPolicy,
    ) -> Result<(Vault, AccountKey, DerivedKeys), VaultError> {
        // derive_keys refuses parameters below the floor (or above the ceiling) before
        // it runs anything, under `policy`.
        let account_id = AccountId::random();
        let account_key = AccountKey::generate();
        let salt = KdfSalt::random();
        let keys = derive_keys(password, &salt, &params, &account_id, &account_key, policy)?;
        let ring = KeyRing::new(FIRST_KEY_VERSION, VaultKey::generate());
        let ctx = KeysetContext { account_id, params, salt, key_version: FIRST_KEY_VERSION };
        let header = FileHeader::new(&ctx, Keyset::seal(&keys.kek, &ring, &ctx));
        Ok((Vault::from_parts(header, ring), account_key, keys))
    }

    /// An empty vault around an existing header and key ring (a new device's vault, built
    /// from what the server holds).
    pub fn from_parts(header: FileHeader, ring: KeyRing) -> Vault {
        Vault { header, ring, entries: BTreeMap::new(), index: BTreeMap::new(), state: LocalState::default() }
    }

    /// Derives the keys for `header` from the master password (the slow step).
    pub fn derive(
        header: &FileHeader,
        password: &str,
        account_key: &AccountKey,
    ) -> Result<DerivedKeys, VaultError> {
        // A vault created with --insecure-kdf keeps unlocking (with a warning from the
        // CLI); every other vault refuses parameters below the floor, whatever a
        // damaged or hostile header says.
        let policy = if header.insecure_kdf { FloorPolicy::AllowInsecure } else { FloorPolicy::Enforce };
        Ok(derive_keys(
            password,
            &KdfSalt(header.salt),
            &header.params(),
            &header.account_id(),
            account_key,
            policy,
        )?)
    }

    /// Runs the KDF and unwraps the key ring: what `hush unlock` hands to the agent.
    pub fn unlock_key(
        header: &FileHeader,
        password: &str,
        account_key: &AccountKey,
    ) -> Result<KeyRing, VaultError> {
        Ok(Self::unlock(header, password, account_key)?.1)
    }

    /// Runs the KDF and unwraps the key ring, keeping the derived keys too: for the
    /// commands that also need the auth key (register, passwd).
    pub fn unlock(
        header: &FileHeader,
        password: &str,
        account_key: &AccountKey,
    ) -> Result<(DerivedKeys, KeyRing), VaultError> {
        let keys = Self::derive(header, password, account_key)?;
        let ring = header
            .keyset()
            .open(&keys.kek, &header.keyset_context())
            .map_err(|_| VaultError::WrongPassword)?;
        Ok((keys, ring))
    }

    /// Opens a parsed file with the key ring: decrypts every item and checks that the
    /// set of items is the one the vault last wrote.
    pub fn open(file: &VaultFile, ring: KeyRing) -> Result<Vault, VaultError> {
        let account_id = AccountId(file.header.account_id);
        check_ring(&file.header, &ring)?;
        let plain = open_local(ring.current(), STATE_LABEL, &account_id, &file.state)
            .map_err(|_| VaultError::Tampered)?;
        let (state, mut stored) = local_state::decode(plain, &account_id)?;
        let hashes: Vec<[u8; 32]> = file.items.iter().map(|(_, b)| hush_crypto::blob_hash(b)).collect();
        let digest =
            ManifestDigest::from_blob_hashes(file.items.iter().zip(&hashes).map(|((id, _), h)| (*id, *h)));
        if digest.0 != state.items_digest {
            return Err(VaultError::Tampered);
        }
        let items = decrypt_all(&ring, &account_id, &file.items)?;
        // Reuse the stored index entry of every item whose blob is unchanged; build the
        // others (none, unless the file was written before the index existed).
        let mut index = BTreeMap::new();
        for (((id, blob), item), hash) in file.items.iter().zip(&items).zip(&hashes) {
            let entry = stored.take(id, hash).unwrap_or_else(|| IndexRecord::new(*id, blob, item));
            index.insert(*id, entry);
        }
        // Items in id order (the file's): each insert appends to the tree's last leaf,
        // which moves the large entries less than collecting them into a map would.
        let mut entries = BTreeMap::new();
        for ((id, blob), item) in file.items.iter().zip(items) {
            entries.insert(*id, SealedItem { blob: blob.clone(), item });
        }
        Ok(Vault { header: file.header.clone(), ring, entries, index, state })
    }

    /// Seals the vault back into its file form. The digest is computed from the
    /// index's blob hashes, so saving costs no hashing of unchanged items.
    pub fn to_file(&self) -> VaultFile {
        let items: Vec<_> = self.entries.iter().map(|(id, e)| (*id, e.blob.clone())).collect();
        VaultFile { header: self.header.clone(), items, state: self.sealed_state() }
    }

    /// The file's bytes, as `to_file().to_bytes()` but without copying every blob
    /// twice (docs/benchmarks.md, C3): what a save writes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let items = self.entries.iter().map(|(id, e)| (*id, &e.blob[..]));
        crate::vault_file::write_file(&self.header, &self.sealed_state(), items)
    }

    fn sealed_state(&self) -> Vec<u8> {
        let entries = self.entries.iter().map(|(id, e)| (&self.index[id], e.blob.len()));
        local_state::seal(self.ring.current(), &self.account_id(), &self.state, entries)
    }

    /// SHA-256 of the blob of `id` (tombstones included), from the index, which every
    /// edit and every open keep equal to the blob's hash.
    pub fn blob_hash(&self, id: &ItemId) -> Option<[u8; 32]> {
        self.index.get(id).map(|e| e.blob_hash)
    }

    /// Every index entry, tombstones included, sorted by id.
    pub fn index_entries(&self) -> impl Iterator<Item = &IndexRecord> {
        self.index.values()
    }

    /// Every live item matching `query`, sorted by name.
    pub fn search(&self, query: &str) -> Vec<ItemId> {
        crate::index::search(self.index.values(), query)
    }

    /// The cleartext header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The account id.
    pub fn account_id(&self) -> AccountId {
        self.header.account_id()
    }

    /// The current vault key, which seals new items, manifests and the local state.
    pub fn vault_key(&self) -> &VaultKey {
        self.ring.current()
    }

    /// Every vault key of the account (for the agent and for sync).
    pub fn ring(&self) -> &KeyRing {
        &self.ring
    }

    /// The sealed local state.
    pub fn state(&self) -> &LocalState {
        &self.state
    }

    /// The sealed local state, for sync to update.
    pub fn state_mut(&mut self) -> &mut LocalState {
        &mut self.state
    }

    /// Every item in use (neither deleted nor in the trash), by id: what audits, imports,
    /// exports and `hush breach` look at.
    pub fn items(&self) -> impl Iterator<Item = (ItemId, &Item)> {
        self.entries.iter().filter(|(_, e)| e.item.is_live()).map(|(id, e)| (*id, &e.item))
    }

    /// Every item in the trash, by id.
    pub fn trashed_items(&self) -> impl Iterator<Item = (ItemId, &Item)> {
        self.entries
            .iter()
            .filter(|(_, e)| !e.item.deleted && e.item.trashed.is_some())
            .map(|(id, e)| (*id, &e.item))
    }

    /// Replaces every item that has been in the trash for [`TRASH_DAYS`](crate::TRASH_DAYS) by
    /// its tombstone, a deletion that syncs; returns their names. Called before a write that
    /// happens anyway, so that nothing is written only for this.
    pub fn purge_expired_trash(&mut self, now: i64) -> Vec<String> {
        let expired: Vec<ItemId> =
            self.entries.iter().filter(|(_, e)| e.item.trash_expired(now)).map(|(id, _)| *id).collect();
        let mut names = Vec::new();
        for id in expired {
            let tomb = self.entries[&id].item.tombstone(now);
            names.push(self.entries[&id].item.name.clone());
            self.put(id, tomb);
        }
        names
    }

    /// Every entry, tombstones included (for sync).
    pub fn entries(&self) -> &BTreeMap<ItemId, SealedItem> {
        &self.entries
    }

    /// An item by id, unless it is a tombstone (items in the trash included).
    pub fn get(&self, id: &ItemId) -> Option<&Item> {
        self.entries.get(id).map(|e| &e.item).filter(|i| !i.deleted)
    }

    /// Number of items in use.
    pub fn len(&self) -> usize {
        self.items().count()
    }

    /// Whether the vault has no item in use.
    pub fn is_empty(&self) -> bool {
        self.items().next().is_none()
    }

    /// Adds a new item under a fresh id.
    pub fn add(&mut self, item: Item) -> ItemId {
        let id = ItemId::random();
        self.put(id, item);
        id
    }

    /// Stores `item` under `id` as a local edit: bumps its revision and update time
    /// is the caller's business; this seals it and queues it for the next sync.
    ///
    /// It does not check the item's size: sync stores here what a merge of two stored
    /// items yields. Every write a user asks for goes through [`try_put`](Self::try_put).
    pub fn put(&mut self, id: ItemId, item: Item) {
        let blob = seal_item(&self.ring, &self.account_id(), &id, &item);
        self.put_sealed(id, blob, item);
    }

    /// [`put`](Self::put) for a write the user asked for (add, edit, import): an item
    /// that would be sealed larger than [`MAX_ITEM_BLOB`](crate::MAX_ITEM_BLOB), which
    /// the sync server would refuse, is refused with [`VaultError::ItemTooLarge`] and
    /// the vault is left as it was.
    pub fn try_put(&mut self, id: ItemId, item: Item) -> Result<(), VaultError> {
        let blob = seal_item_checked(&self.ring, &self.account_id(), &id, &item)?;
        self.put_sealed(id, blob, item);
        Ok(())
    }

    fn put_sealed(&mut self, id: ItemId, blob: Vec<u8>, item: Item) {
        self.state.mark_pending(id, self.entries.get(&id).map(|old| &old.blob[..]));
        self.index.insert(id, IndexRecord::new(id, &blob, &item));
        self.entries.insert(id, SealedItem { blob, item });
    }

    /// [`add`](Self::add) with the size check of [`try_put`](Self::try_put).
    pub fn try_add(&mut self, item: Item) -> Result<ItemId, VaultError> {
        let id = ItemId::random();
        self.try_put(id, item)?;
        Ok(id)
    }

    /// [`update`](Self::update) with the size check of [`try_put`](Self::try_put).
    pub fn try_update(
        &mut self,
        id: &ItemId,
        now: i64,
        edit: impl FnOnce(&mut Item),
    ) -> Result<bool, VaultError> {
        let Some(item) = self.get(id).cloned() else { return Ok(false) };
        self.try_put(*id, item.edited(now, edit))?;
        Ok(true)
    }

    /// Applies `edit` to a live item, bumping its revision and update time.
    pub fn update(&mut self, id: &ItemId, now: i64, edit: impl FnOnce(&mut Item)) -> bool {
        let Some(item) = self.get(id).cloned() else { return false };
        self.put(*id, item.edited(now, edit));
        true
    }

    /// Replaces an item by its tombstone ([`Item::tombstone`]), so the deletion syncs.
    pub fn delete(&mut self, id: &ItemId, now: i64) -> bool {
        let Some(old) = self.get(id) else { return false };
        let tomb = old.tombstone(now);
        self.put(*id, tomb);
        true
    }

    /// Stores a blob received from the server (sync), decrypting it first so that
    /// nothing unauthentic enters the vault.
    pub fn put_synced(&mut self, id: ItemId, blob: Vec<u8>) -> Result<(), VaultError> {
        let item = self.decrypt(&id, &blob)?;
        self.put_decrypted(id, blob, item);
        Ok(())
    }

    /// Like [`put_synced`](Self::put_synced) for a blob the caller has already
    /// decrypted with [`decrypt`](Self::decrypt): `item` must be exactly what that
    /// returned for `(id, blob)`. Saves a second AEAD per pulled item in sync.
    pub fn put_decrypted(&mut self, id: ItemId, blob: Vec<u8>, item: Item) {
        self.state.pending.remove(&id.0);
        self.state.base.remove(&id.0);
        self.index.insert(id, IndexRecord::new(id, &blob, &item));
        self.entries.insert(id, SealedItem { blob, item });
    }

    /// Decrypts a blob of this vault (e.g. a merge base or a pulled blob) with the ring's key
    /// of the version its header names.
    pub fn decrypt(&self, id: &ItemId, blob: &[u8]) -> Result<Item, VaultError> {
        decrypt_item(&self.ring, &self.account_id(), id, blob)
    }

    /// Changes the master password and rotates the vault key (docs/spec/crypto-v2.md,
    /// "Password change and key rotation"): derives the new keys from a fresh salt, then
    /// [`apply_password_change`](Self::apply_password_change). Returns the new keys, whose auth
    /// key the server must learn.
    pub fn change_password(
        &mut self,
        new_password: &str,
        account_key: &AccountKey,
        params: KdfParams,
        policy: FloorPolicy,
    ) -> Result<DerivedKeys, VaultError> {
        let salt = KdfSalt::random();
        let keys = derive_keys(new_password, &salt, &params, &self.account_id(), account_key, policy)?;
        self.apply_password_change(&keys.kek, salt, params);
        Ok(keys)
    }

    /// The second half of a password change, with keys already derived from the new password
    /// and `salt`: a new vault key one version up, the ring (new key and every old one) sealed
    /// under the new kek, and every item sealed again under the new key and queued for the next
    /// push. From then on the old password opens nothing written after the change.
    pub fn apply_password_change(&mut self, kek: &Kek, salt: KdfSalt, params: KdfParams) {
        let ring = self.ring.rotated();
        let ctx = KeysetContext {
            account_id: self.account_id(),
            params,
            salt,
            key_version: ring.current_version(),
        };
        self.header = FileHeader::new(&ctx, Keyset::seal(kek, &ring, &ctx));
        self.ring = ring;
        let ids: Vec<ItemId> = self.entries.keys().copied().collect();
        for id in ids {
            let item = self.entries[&id].item.clone();
            // The same plaintext (and revision) under the new key: other devices see no change
            // but the key, and a merge treats it as unchanged.
            self.put(id, item);
        }
    }

    /// Replaces the header and key ring: a keyset change learned from the server (a password
    /// change on another device). The new ring must hold this vault's current key, so that
    /// every blob and the sealed state stay readable; anything else is refused as tampering.
    pub fn adopt_keyset(&mut self, header: FileHeader, ring: KeyRing) -> Result<(), VaultError> {
        if header.key_version < self.header.key_version
            || !ring.holds(self.ring.current_version(), self.ring.current())
        {
            return Err(VaultError::Tampered);
        }
        check_ring(&header, &ring)?;
        self.header = header;
        self.ring = ring;
        Ok(())
    }
}

/// A header and a ring belong together: the header's epoch is the ring's current version.
/// (An agent that still holds the ring from before a password change on this device fails
/// here instead of sealing with an outdated key.)
fn check_ring(header: &FileHeader, ring: &KeyRing) -> Result<(), VaultError> {
    if ring.current_version() == header.key_version { Ok(()) } else { Err(VaultError::Tampered) }
}

/// Below this many items per thread, decrypting on one thread is as fast.
const MIN_ITEMS_PER_THREAD: usize = 2048;

/// Decrypts every item blob, in file order. Opening a large vault is dominated by
/// AEAD and decoding (docs/benchmarks.md), so large vaults are split into contiguous
/// chunks decrypted on the available cores. The result is the same as one loop's: the
/// items in order, or the error of the first blob (in file order) that fails.
fn decrypt_all(
    ring: &KeyRing,
    account_id: &AccountId,
    items: &[(ItemId, Vec<u8>)],
) -> Result<Vec<Item>, VaultError> {
    crate::par::map_chunks(items, MIN_ITEMS_PER_THREAD, |chunk| {
        chunk.iter().map(|(id, blob)| decrypt_item(ring, account_id, id, blob)).collect()
    })
}

impl ItemLookup for Vault {
    fn find_in(&self, query: &str, scope: Scope) -> Matches {
        crate::index::find_in(self.index.values(), query, scope)
    }

    fn entry(&self, id: &ItemId) -> Option<IndexRecord> {
        self.index.get(id).filter(|e| !e.deleted).cloned()
    }
}

/// Encodes and seals one item under the ring's current key.
pub fn seal_item(ring: &KeyRing, account_id: &AccountId, id: &ItemId, item: &Item) -> Vec<u8> {
    let plain = encoding::encode(ITEM_VERSION, item);
    ItemBlob::seal(ring.current(), account_id, id, ring.current_version(), &plain)
}

/// [`seal_item`] for a write the user asked for: refuses an item whose blob would be
/// larger than [`MAX_ITEM_BLOB`](crate::MAX_ITEM_BLOB) (the sync server's limit) with
/// [`VaultError::ItemTooLarge`], naming the item.
pub fn seal_item_checked(
    ring: &KeyRing,
    account_id: &AccountId,
    id: &ItemId,
    item: &Item,
) -> Result<Vec<u8>, VaultError> {
    check_item_size(item)?;
    let blob = seal_item(ring, account_id, id, item);
    // The size is known before sealing (`sealed_len`); this only guards that formula.
    if blob.len() > MAX_ITEM_BLOB {
        return Err(too_large(item, blob.len()));
    }
    Ok(blob)
}

/// Whether `item` fits in one item blob ([`MAX_ITEM_BLOB`](crate::MAX_ITEM_BLOB)),
/// without sealing it: for checks before any key is at hand (`hush import --dry-run`).
pub fn check_item_size(item: &Item) -> Result<(), VaultError> {
    let size = sealed_len(item);
    if size > MAX_ITEM_BLOB { Err(too_large(item, size)) } else { Ok(()) }
}

/// The length of `item`'s blob once sealed: the plaintext (version byte and bincode)
/// padded to its padmé bucket, plus the sealed box's version, key version, nonce and
/// tag (docs/spec/crypto-v2.md, "Items"). `a_sealed_items_length_is_known_before_sealing` checks it
/// against real blobs.
fn sealed_len(item: &Item) -> usize {
    const BOX_OVERHEAD: usize = 1 + 4 + 24 + 16;
    BOX_OVERHEAD + hush_crypto::padme(encoding::encode(ITEM_VERSION, item).len() + 1)
}

fn too_large(item: &Item, size: usize) -> VaultError {
    VaultError::ItemTooLarge { name: item.name.clone(), size, limit: MAX_ITEM_BLOB }
}

/// Opens and decodes one item blob, with the ring's key of the version its header names.
pub fn decrypt_item(
    ring: &KeyRing,
    account_id: &AccountId,
    id: &ItemId,
    blob: &[u8],
) -> Result<Item, VaultError> {
    let plain = ItemBlob::open_with_ring(ring, account_id, id, blob).map_err(|_| VaultError::Tampered)?;
    crate::item::decode_plaintext(&plain, MAX_PLAINTEXT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ItemKind;

    #[test]
    fn a_large_vault_opens_to_the_same_items_in_order() {
        let weak = KdfParams { m_kib: 64, t: 1, p: 1 };
        let (mut vault, _) = Vault::create("pw", weak, FloorPolicy::AllowInsecure).unwrap();
        // Enough items for several decryption threads on a multi-core machine.
        for i in 0..3 * MIN_ITEMS_PER_THREAD + 7 {
            let mut item = Item::new(ItemKind::Login, format!("item {i}"), 1);
            item.password = format!("pw {i}");
            vault.add(item);
        }
        let file = vault.to_file();
        let opened = Vault::open(&file, vault.ring().clone()).unwrap();
        assert_eq!(opened.entries.len(), vault.entries.len());
        for ((a_id, a), (b_id, b)) in opened.entries.iter().zip(&vault.entries) {
            assert_eq!(a_id, b_id);
            assert_eq!(a.blob, b.blob);
            assert!(a.item == b.item, "{a_id}");
        }
        let items = decrypt_all(vault.ring(), &vault.account_id(), &file.items).unwrap();
        let names: Vec<_> = items.iter().map(|i| i.name.clone()).collect();
        let expected: Vec<_> = file.items.iter().map(|(id, _)| vault.get(id).unwrap().name.clone()).collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn to_bytes_writes_the_file_to_file_describes() {
        let weak = KdfParams { m_kib: 64, t: 1, p: 1 };
        let (mut vault, _) = Vault::create("pw", weak, FloorPolicy::AllowInsecure).unwrap();
        for i in 0..5 {
            vault.add(Item::new(ItemKind::Login, format!("item {i}"), 1));
        }
        let parsed = VaultFile::from_bytes(&vault.to_bytes()).unwrap();
        let described = vault.to_file();
        assert_eq!(parsed.header, described.header);
        assert_eq!(parsed.items, described.items);
        // The sealed states differ only by their nonces: both open to the same vault.
        let reopened = Vault::open(&parsed, vault.ring().clone()).unwrap();
        assert!(reopened.index_entries().eq(vault.index_entries()));
        assert_eq!(reopened.state().pending, vault.state().pending);
        // The index's blob hashes, which sync uses instead of hashing, are the blobs'.
        let first = *vault.entries().keys().next().unwrap();
        vault.update(&first, 2, |i| i.notes = "changed".into());
        for v in [&vault, &reopened] {
            for (id, entry) in v.entries() {
                assert_eq!(v.blob_hash(id), Some(hush_crypto::blob_hash(&entry.blob)));
            }
        }
    }

    /// An item of `notes_len` bytes of notes.
    fn item_with_notes(notes_len: usize) -> Item {
        let mut item = Item::new(ItemKind::Note, "big notes", 1);
        item.notes = "n".repeat(notes_len);
        item
    }

    #[test]
    fn a_sealed_items_length_is_known_before_sealing() {
        let weak = KdfParams { m_kib: 64, t: 1, p: 1 };
        let (vault, _) = Vault::create("pw", weak, FloorPolicy::AllowInsecure).unwrap();
        let id = ItemId::random();
        for len in [0, 1, 100, 255, 256, 1000, 4095, 65_536, 200_000, 261_000, 262_144, 300_000] {
            let item = item_with_notes(len);
            let blob = seal_item(vault.ring(), &vault.account_id(), &id, &item);
            assert_eq!(sealed_len(&item), blob.len(), "{len} bytes of notes");
        }
    }

    /// Issue #9, item 6: nothing larger than the server takes is created.
    #[test]
    fn items_larger_than_the_server_takes_are_refused_and_change_nothing() {
        let weak = KdfParams { m_kib: 64, t: 1, p: 1 };
        let (mut vault, _) = Vault::create("pw", weak, FloorPolicy::AllowInsecure).unwrap();
        let small = vault.try_add(item_with_notes(10)).unwrap();
        // The largest notes that still fit, found by bisection on the real check.
        let (mut fits, mut too_big) = (0, MAX_ITEM_BLOB);
        while too_big - fits > 1 {
            let mid = (fits + too_big) / 2;
            if check_item_size(&item_with_notes(mid)).is_ok() { fits = mid } else { too_big = mid }
        }
        assert!(fits > 200 * 1024, "{fits}");
        let blob = seal_item_checked(vault.ring(), &vault.account_id(), &small, &item_with_notes(fits));
        assert!(blob.unwrap().len() <= MAX_ITEM_BLOB);
        let before = vault.to_file();
        let err = vault.try_add(item_with_notes(too_big)).err().unwrap();
        let VaultError::ItemTooLarge { name, size, limit } = &err else { panic!("{err}") };
        assert_eq!((name.as_str(), *limit), ("big notes", MAX_ITEM_BLOB));
        assert!(*size > MAX_ITEM_BLOB);
        let message = err.to_string();
        assert!(message.contains("\"big notes\"") && message.contains("256 KiB"), "{message}");
        assert!(message.contains("nothing was written"), "{message}");
        let err = vault.try_update(&small, 2, |i| i.notes = "m".repeat(300 * 1024)).err().unwrap();
        assert!(matches!(err, VaultError::ItemTooLarge { .. }), "{err}");
        // Nothing changed: the same items, nothing more pending.
        let after = vault.to_file();
        assert_eq!(after.items, before.items);
        assert_eq!(vault.state().pending, [small.0].into());
        assert_eq!(vault.get(&small).unwrap().notes.len(), 10);
        assert!(vault.try_update(&small, 3, |i| i.notes = "m".repeat(fits)).unwrap());
        // The unchecked path used by sync still stores anything.
        vault.put(small, item_with_notes(too_big));
        assert!(vault.entries()[&small].blob.len() > MAX_ITEM_BLOB);
    }

    #[test]
    fn a_password_change_rotates_the_key_and_reseals_every_item() {
        let weak = KdfParams { m_kib: 64, t: 1, p: 1 };
        let (mut vault, ak) = Vault::create("old pw", weak, FloorPolicy::AllowInsecure).unwrap();
        let ids: Vec<_> =
            (0..3).map(|i| vault.add(Item::new(ItemKind::Login, format!("item {i}"), 1))).collect();
        vault.delete(&ids[2], 2);
        vault.state_mut().pending.clear();
        vault.state_mut().base.clear();
        let old_header = vault.header().clone();
        let old_blobs: Vec<_> = ids.iter().map(|id| vault.entries()[id].blob.clone()).collect();

        vault.change_password("new pw", &ak, weak, FloorPolicy::AllowInsecure).unwrap();
        assert_eq!(vault.header().key_version, 2);
        assert_eq!(vault.ring().versions().collect::<Vec<_>>(), [2, 1]);
        // Every item, tombstones too, is sealed again under the new key and queued with its
        // old blob as merge base; its plaintext is unchanged.
        for (id, old) in ids.iter().zip(&old_blobs) {
            let blob = &vault.entries()[id].blob;
            assert_eq!(ItemBlob::key_version(blob), Ok(2));
            assert!(vault.state().pending.contains(&id.0));
            assert_eq!(vault.state().base.get(&id.0), Some(old));
            assert!(vault.decrypt(id, old).unwrap() == vault.entries()[id].item);
        }
        // The old password opens the old header only, whose ring lacks the new key: nothing
        // sealed after the change opens with it; the new password opens everything.
        let (_, old_ring) = Vault::unlock(&old_header, "old pw", &ak).unwrap();
        assert!(old_ring.get(2).is_none());
        assert!(
            decrypt_item(&old_ring, &vault.account_id(), &ids[0], &vault.entries()[&ids[0]].blob).is_err()
        );
        assert!(matches!(Vault::unlock(vault.header(), "old pw", &ak), Err(VaultError::WrongPassword)));
        let (_, new_ring) = Vault::unlock(vault.header(), "new pw", &ak).unwrap();
        let reopened = Vault::open(&vault.to_file(), new_ring).unwrap();
        assert_eq!(reopened.len(), 2);
        // The old ring cannot even open the file's sealed state any more.
        assert!(matches!(Vault::open(&vault.to_file(), old_ring), Err(VaultError::Tampered)));
    }

    #[test]
    fn the_first_failing_blob_in_file_order_is_reported() {
        let weak = KdfParams { m_kib: 64, t: 1, p: 1 };
        let (mut vault, _) = Vault::create("pw", weak, FloorPolicy::AllowInsecure).unwrap();
        for i in 0..3 * MIN_ITEMS_PER_THREAD {
            vault.add(Item::new(ItemKind::Login, format!("item {i}"), 1));
        }
        let mut items = vault.to_file().items;
        // A blob that does not authenticate in the last chunk, and one that
        // authenticates but does not decode (another format version) in the first.
        let last = items.len() - 1;
        items[last].1[40] ^= 1;
        let bad_version = ItemBlob::seal(vault.vault_key(), &vault.account_id(), &items[5].0, 1, &[9, 9]);
        items[5].1 = bad_version;
        let err = decrypt_all(vault.ring(), &vault.account_id(), &items).err().unwrap();
        assert!(matches!(err, VaultError::UnsupportedVersion(9)), "{err}");
        items.truncate(last);
        items.push((ItemId([0; 16]), vec![1; 64]));
        items[5].1 = vault.entries[&items[5].0].blob.clone();
        let err = decrypt_all(vault.ring(), &vault.account_id(), &items).err().unwrap();
        assert!(matches!(err, VaultError::Tampered), "{err}");
    }
}

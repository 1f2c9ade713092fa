//! Attached files through the sync engine, against the honest in-memory server and the same
//! server turned malicious (docs/attachments.md; docs/spec/crypto-v2.md, "Attachments"): a file
//! reads back byte for byte on another device; a dropped, altered, swapped, rolled-back or foreign
//! chunk is tampering and nothing of it is handed out; unchanged files are never sent again;
//! the chunks of deleted items and removed files are deleted on the server.

use hush_crypto::{CHUNK_SIZE, FileChunk, FileId, FloorPolicy, ItemId, KdfParams};
use hush_sync::files::{ReadError, Remote};
use hush_sync::memory::MemoryServer;
use hush_sync::{MemoryDevice, MemoryPushNumbers, SyncError, Tampering};
use hush_vault::{Attachment, FileStore, Item, ItemKind, Vault};

const PW: &str = "correct horse";
const WEAK: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };

struct Device {
    vault: Vault,
    local: MemoryDevice,
    _dir: tempfile::TempDir,
}

impl Device {
    fn store(&self) -> &FileStore {
        &self.local.files
    }

    fn sync(&mut self, server: &MemoryServer, now: i64) -> hush_sync::SyncReport {
        hush_sync::sync(&mut self.vault, server, &mut self.local, now).expect("sync")
    }

    /// Attaches `content` to item `id` as `name`.
    fn attach(&mut self, id: &ItemId, name: &str, content: &[u8], now: i64) -> Attachment {
        let account = self.vault.account_id();
        let file = self.store().seal(&account, name, &mut &content[..], u64::MAX, now).unwrap();
        let added = file.clone();
        assert!(self.vault.update(id, now, |i| i.files.push(added)));
        file
    }

    /// Reads `file` of item `id` through the engine: what was handed out, and how it ended.
    fn read(&self, server: &MemoryServer, file: &Attachment) -> (Vec<u8>, Result<(), ReadError>) {
        let remote = Remote::of(server, self.vault.state());
        let mut out = Vec::new();
        let result =
            hush_sync::files::read(&self.vault.account_id(), file, self.store(), remote.as_ref(), &mut |p| {
                out.extend_from_slice(p);
                Ok(())
            });
        (out, result)
    }
}

fn device(vault: Vault) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let files = FileStore::new(dir.path().join("files"));
    Device { vault, local: MemoryDevice { numbers: MemoryPushNumbers::default(), files }, _dir: dir }
}

/// A registered first device with one item, and a second device logged in with the setup code.
fn two_devices(server: &MemoryServer) -> (Device, Device, ItemId) {
    let (mut vault, ak) = Vault::create(PW, WEAK, FloorPolicy::AllowInsecure).unwrap();
    let mut item = Item::new(ItemKind::Login, "server", 1);
    item.password = "pw".into();
    let id = vault.add(item);
    let keys = Vault::derive(vault.header(), PW, &ak).unwrap();
    let mut a = device(vault);
    let opts = |name| hush_sync::LoginOptions {
        server_url: "http://127.0.0.1:1",
        device_name: name,
        policy: FloorPolicy::AllowInsecure,
        insecure_http: false,
        now: 1,
    };
    hush_sync::register(&mut a.vault, server, &keys.auth, &ak, None, &mut a.local, &opts("a")).unwrap();
    let account = a.vault.account_id();
    let (b, _) = hush_sync::login_new_device(server, &account, &ak, PW, opts("b")).unwrap();
    (a, device(b), id)
}

/// `len` bytes that differ from chunk to chunk.
fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|j| (j as u8).wrapping_mul(31).wrapping_add(seed) ^ (j >> 20) as u8).collect()
}

/// A's file of 2.5 chunks, synced to the server and to B; returns both devices, the item and file.
fn shared_file(server: &MemoryServer) -> (Device, Device, ItemId, Attachment, Vec<u8>) {
    let (mut a, mut b, id) = two_devices(server);
    let data = content(2 * CHUNK_SIZE + CHUNK_SIZE / 2, 1);
    let file = a.attach(&id, "backup.tar", &data, 2);
    a.sync(server, 3);
    b.sync(server, 4);
    (a, b, id, file, data)
}

fn file_of(d: &Device, id: &ItemId) -> Attachment {
    d.vault.get(id).unwrap().files[0].clone()
}

#[test]
fn a_file_uploads_before_its_item_and_reads_back_on_another_device() {
    let server = MemoryServer::new();
    let (_a, b, id, file, data) = shared_file(&server);
    assert_eq!(server.all_chunks().len(), 3, "every chunk is on the server");
    assert_eq!(file_of(&b, &id), file, "B sees the attachment with its key and hashes");
    assert!(!b.store().has_all(&file));
    let (out, result) = b.read(&server, &file);
    result.unwrap();
    assert!(out == data, "byte for byte");
    // Read once, kept: the next read needs no server.
    assert!(b.store().has_all(&file));
    let mut again = Vec::new();
    hush_sync::files::read(&b.vault.account_id(), &file, b.store(), None, &mut |p| {
        again.extend_from_slice(p);
        Ok(())
    })
    .unwrap();
    assert!(again == data);
    // The server holds no plaintext of the file.
    let sample = &data[1000..1064];
    for (_, _, chunk) in server.all_chunks() {
        assert!(!chunk.windows(sample.len()).any(|w| w == sample));
    }
}

#[test]
fn unchanged_files_are_never_sent_again() {
    let server = MemoryServer::new();
    let (mut a, mut b, id, _, _) = shared_file(&server);
    let uploads = server.chunk_uploads();
    assert_eq!(uploads, 3);
    // Edits of the item on both devices (a merge, pushes, a password change) send no chunk again.
    a.vault.update(&id, 5, |i| i.notes = "from a".into());
    b.vault.update(&id, 6, |i| i.set_password("from b".into(), 6));
    a.sync(&server, 7);
    b.sync(&server, 8);
    a.sync(&server, 9);
    assert_eq!(server.chunk_uploads(), uploads);
    // Only a new file is sent, once.
    a.attach(&id, "second", b"small", 10);
    a.sync(&server, 11);
    a.sync(&server, 12);
    assert_eq!(server.chunk_uploads(), uploads + 1);
}

/// Asserts that reading `file` on `d` stops at chunk `index` as `expected`, having handed out
/// exactly the chunks before it.
#[track_caller]
fn refused_at(d: &Device, server: &MemoryServer, file: &Attachment, data: &[u8], expected: Tampering) {
    let (out, result) = d.read(server, file);
    match result {
        Err(ReadError::Sync(SyncError::Tampered(t))) => assert_eq!(t, expected),
        other => panic!("expected {expected:?}, got {other:?}"),
    }
    let index = match expected {
        Tampering::FileChunkMissing { index, .. } | Tampering::FileChunkAltered { index, .. } => {
            index as usize
        }
        _ => unreachable!(),
    };
    assert!(out == data[..index * CHUNK_SIZE], "exactly the chunks before the bad one were handed out");
    assert!(d.store().read_chunk(&file.file_id, index as u32).unwrap().is_none(), "nothing bad is kept");
}

#[test]
fn a_dropped_chunk_is_tampering() {
    let server = MemoryServer::new();
    let (_a, b, _, file, data) = shared_file(&server);
    server.set_chunk(file.file_id, 1, None);
    refused_at(&b, &server, &file, &data, Tampering::FileChunkMissing { file: file.file_id, index: 1 });
}

#[test]
fn an_altered_chunk_is_tampering() {
    let server = MemoryServer::new();
    let (_a, b, _, file, data) = shared_file(&server);
    let mut chunk = server.all_chunks().into_iter().find(|(_, i, _)| *i == 2).unwrap().2;
    chunk[500] ^= 1;
    server.set_chunk(file.file_id, 2, Some(chunk));
    refused_at(&b, &server, &file, &data, Tampering::FileChunkAltered { file: file.file_id, index: 2 });
}

#[test]
fn a_chunk_swapped_within_the_file_or_from_another_file_is_tampering() {
    let server = MemoryServer::new();
    let (mut a, mut b, id, file, data) = shared_file(&server);
    let other = a.attach(&id, "other", &content(CHUNK_SIZE + 10, 9), 5);
    a.sync(&server, 6);
    b.sync(&server, 7);
    let chunk = |f: FileId, i: u32| server.all_chunks().into_iter().find(|c| c.0 == f && c.1 == i).unwrap().2;
    // Chunk 1 served as chunk 0 of the same file.
    let (c0, c1) = (chunk(file.file_id, 0), chunk(file.file_id, 1));
    server.set_chunk(file.file_id, 0, Some(c1));
    refused_at(&b, &server, &file, &data, Tampering::FileChunkAltered { file: file.file_id, index: 0 });
    server.set_chunk(file.file_id, 0, Some(c0));
    // Another file's (authentic) chunk 0 served as this file's chunk 0.
    server.set_chunk(file.file_id, 0, Some(chunk(other.file_id, 0)));
    refused_at(&b, &server, &file, &data, Tampering::FileChunkAltered { file: file.file_id, index: 0 });
}

#[test]
fn a_rolled_back_chunk_is_tampering() {
    let server = MemoryServer::new();
    let (mut a, b, id, file, data) = shared_file(&server);
    // An earlier upload of the same chunk: the same plaintext sealed under the same key and AAD,
    // with another nonce. It authenticates, but it is not the chunk the item lists.
    let start = CHUNK_SIZE;
    let resealed = FileChunk::seal(
        &file.file_key(),
        &a.vault.account_id(),
        &file.file_id,
        1,
        false,
        &data[start..start + CHUNK_SIZE],
    );
    server.set_chunk(file.file_id, 1, Some(resealed));
    refused_at(&b, &server, &file, &data, Tampering::FileChunkAltered { file: file.file_id, index: 1 });
    // The previous version of a replaced file served for the new one (the server keeps what it
    // was asked to delete, and serves it under the new id).
    let old_chunks: Vec<_> = server.all_chunks().into_iter().filter(|c| c.0 == file.file_id).collect();
    a.vault.update(&id, 5, |i| i.files.clear());
    let new = a.attach(&id, "backup.tar", &content(3 * CHUNK_SIZE, 2), 6);
    a.sync(&server, 7);
    for (_, index, chunk) in old_chunks {
        server.set_chunk(new.file_id, index, Some(chunk));
    }
    let mut b = b;
    b.sync(&server, 8);
    let new_data = content(3 * CHUNK_SIZE, 2);
    refused_at(&b, &server, &new, &new_data, Tampering::FileChunkAltered { file: new.file_id, index: 0 });
}

#[test]
fn the_chunks_of_deleted_items_and_removed_files_are_deleted_on_the_server() {
    let server = MemoryServer::new();
    let (mut a, mut b, id, file, _) = shared_file(&server);
    let other = a.vault.add(Item::new(ItemKind::Note, "other", 5));
    let kept = a.attach(&other, "kept", b"kept", 5);
    let removed = a.attach(&other, "removed", b"removed", 5);
    a.sync(&server, 6);
    let files = |s: &MemoryServer| {
        let mut ids: Vec<FileId> = s.all_chunks().iter().map(|c| c.0).collect();
        ids.dedup();
        ids
    };
    assert_eq!(files(&server).len(), 3);
    // `hush file rm`: removed from its item, then deleted on the server once the push is in.
    a.vault.update(&other, 7, |i| i.files.retain(|f| f.file_id != removed.file_id));
    let report = a.sync(&server, 8);
    assert_eq!(report.files_deleted, [removed.file_id]);
    // `hush rm`: the item's files go with it, deleted by the device that deleted the item.
    b.sync(&server, 9);
    b.vault.delete(&id, 10);
    let report = b.sync(&server, 11);
    assert_eq!(report.files_deleted, [file.file_id]);
    assert_eq!(files(&server), [kept.file_id]);
}

/// An item in the trash keeps its files on the server, however many devices sync it there, so
/// that `hush restore` brings them back; its end in the trash (a tombstone) deletes them.
#[test]
fn an_item_in_the_trash_keeps_its_files_until_it_is_deleted_for_good() {
    let server = MemoryServer::new();
    let (mut a, mut b, id, file, data) = shared_file(&server);
    assert!(a.vault.update(&id, 5, |i| i.trashed = Some(5)));
    let report = a.sync(&server, 6);
    assert!(report.files_deleted.is_empty(), "nothing deleted for the trash");
    b.sync(&server, 7);
    assert!(b.vault.get(&id).unwrap().trashed.is_some());
    assert!(!server.all_chunks().is_empty());
    let (out, result) = b.read(&server, &file);
    assert!(result.is_ok() && out == data, "still readable from the server");
    // Thirty days later the trash is purged: the tombstone's push deletes the chunks.
    let later = 5 + hush_vault::TRASH_DAYS * 86_400;
    assert_eq!(b.vault.purge_expired_trash(later), ["server"]);
    let report = b.sync(&server, later);
    assert_eq!(report.files_deleted, [file.file_id]);
    assert!(server.all_chunks().is_empty());
}

#[test]
fn a_file_removed_on_one_device_stays_removed_whatever_the_other_did_to_its_item() {
    let server = MemoryServer::new();
    let (mut a, mut b, id, file, _) = shared_file(&server);
    // A deletes the item (and so the file's chunks); B edits it meanwhile. The edit wins, without
    // the file, which is gone from the server: nothing points at chunks nobody has.
    a.vault.delete(&id, 5);
    b.vault.update(&id, 6, |i| i.notes = "edited on b".into());
    a.sync(&server, 7);
    assert!(server.all_chunks().is_empty());
    b.sync(&server, 8);
    a.sync(&server, 9);
    for d in [&a, &b] {
        let item = d.vault.get(&id).expect("the edit wins");
        assert_eq!(item.notes, "edited on b");
        assert!(item.files.is_empty(), "the file went with the deletion");
    }
    assert!(b.read(&server, &file).1.is_err(), "and its chunks are gone");
}

#[test]
fn an_item_whose_file_is_nowhere_waits_and_the_rest_syncs() {
    let server = MemoryServer::new();
    let (mut a, _b, id, _, _) = shared_file(&server);
    let other = a.vault.add(Item::new(ItemKind::Note, "other", 5));
    let lost = a.attach(&other, "lost", b"lost", 5);
    a.store().remove(&lost.file_id).unwrap();
    a.vault.update(&id, 6, |i| i.notes = "still syncs".into());
    let report = a.sync(&server, 7);
    assert_eq!(report.waiting_for_files, [(other, lost.file_id)]);
    assert_eq!(report.pushed, [id]);
    assert!(a.vault.state().pending.contains(&other.0), "it stays pending");
    assert!(server.all_chunks().iter().all(|c| c.0 != lost.file_id));
}

#[test]
fn a_damaged_local_chunk_is_fetched_again_from_the_server() {
    let server = MemoryServer::new();
    let (_a, b, _, file, data) = shared_file(&server);
    b.read(&server, &file).1.unwrap();
    let path = b.store().chunk_path(&file.file_id, 1);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[77] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let (out, result) = b.read(&server, &file);
    result.unwrap();
    assert!(out == data);
    assert_ne!(std::fs::read(&path).unwrap(), bytes, "the damaged copy was replaced");
    // Without a server to fetch from, the damage is reported and nothing of it handed out.
    std::fs::write(&path, &bytes).unwrap();
    let mut out = Vec::new();
    let err = hush_sync::files::read(&b.vault.account_id(), &file, b.store(), None, &mut |p| {
        out.extend_from_slice(p);
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(err, ReadError::LocalChunk { .. }), "{err}");
    assert!(out == data[..CHUNK_SIZE]);
}

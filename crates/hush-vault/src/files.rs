//! Attached files on this device: their sealed chunks in the profile's `files/` folder
//! (docs/vault-format.md, "Attached files"; docs/spec/crypto-v2.md, "Attachments").
//!
//! `vault.hush` is rewritten whole on every save, so file content cannot live in it. Each chunk is
//! a file of its own, `files/<file id>/<index>`, holding the sealed chunk exactly as the sync
//! server does (mode 0600, in folders of mode 0700, written atomically). Nothing here is trusted:
//! a chunk read back is checked against its item's hash before it is opened ([`Attachment::open_chunk`]).
//!
//! Sealing reads the source in chunks of 1 MiB and writes each sealed chunk before reading the
//! next, so adding a file of any size takes about 2 MiB of memory.

use std::io::Read;
use std::path::{Path, PathBuf};

use hush_crypto::{AccountId, CHUNK_SIZE, FileChunk, FileId, FileKey, chunk_hash, chunk_len};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use zeroize::Zeroizing;

use crate::durable::{create_private_dir, read_file, write_atomic};
use crate::{Attachment, VaultError};

/// The default largest file `hush file add` accepts: 100 MiB (configurable).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 100 << 20;

/// Every file the vault's items reference, those in the trash included: an item in the trash is
/// restorable with its files (`hush restore`), so its chunks must stay here and on the server
/// until the item is deleted for good.
pub fn referenced_files(vault: &crate::Vault) -> std::collections::BTreeSet<FileId> {
    vault
        .entries()
        .values()
        .filter(|e| !e.item.deleted)
        .flat_map(|e| e.item.files.iter().map(|f| f.file_id))
        .collect()
}

/// Checks a file name for an attachment: 1 to 255 bytes, no `/`, not `.` or `..`, and no
/// control or invisible format character (Unicode Cc or Cf, as for device names), so that a
/// name shown by `hush file ls` cannot lie and `hush file get --output` never builds a path
/// from it. Returns why not.
pub fn check_file_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 255 {
        return Err("a file name has 1 to 255 bytes");
    }
    if name.contains('/') || name == "." || name == ".." {
        return Err("a file name cannot contain '/' or be '.' or '..'");
    }
    if name
        .chars()
        .any(|c| matches!(c.general_category(), GeneralCategory::Control | GeneralCategory::Format))
    {
        return Err("a file name cannot contain control or invisible formatting characters");
    }
    Ok(())
}

impl Attachment {
    /// Opens chunk `index` of this file as the spec's reader does (crypto-v2.md, "Attachments",
    /// rules 1 to 3): its hash must be the one this item lists, then it must open under the
    /// file key with this chunk's AAD and have exactly the length the size implies. `None` for
    /// any failure: the chunk must not be used.
    pub fn open_chunk(&self, account: &AccountId, index: u32, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let expected = self.chunks.get(index as usize)?;
        if chunk_hash(sealed) != *expected {
            return None;
        }
        let last = index as usize + 1 == self.chunks.len();
        let len = chunk_len(self.size, index)?;
        FileChunk::open(&self.file_key(), account, &self.file_id, index, last, len, sealed).ok()
    }

    /// The number of chunks.
    pub fn chunk_count(&self) -> u32 {
        // `is_well_formed` (checked whenever an item is decoded) bounds it by a u32.
        u32::try_from(self.chunks.len()).unwrap_or(u32::MAX)
    }
}

/// The `files/` folder of a profile.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// The store in `dir` (a profile's `files/`).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder of one file's chunks.
    pub fn file_dir(&self, file: &FileId) -> PathBuf {
        self.dir.join(file.to_string())
    }

    /// Where chunk `index` of `file` is kept.
    pub fn chunk_path(&self, file: &FileId, index: u32) -> PathBuf {
        self.file_dir(file).join(index.to_string())
    }

    /// Chunk `index` of `file` as stored here, if it is (unchecked: see [`Attachment::open_chunk`]).
    pub fn read_chunk(&self, file: &FileId, index: u32) -> Result<Option<Vec<u8>>, VaultError> {
        read_file(&self.chunk_path(file, index))
    }

    /// Stores a sealed chunk, atomically and with mode 0600, in folders of mode 0700.
    pub fn write_chunk(&self, file: &FileId, index: u32, sealed: &[u8]) -> Result<(), VaultError> {
        create_private_dir(&self.dir)?;
        create_private_dir(&self.file_dir(file))?;
        write_atomic(&self.chunk_path(file, index), sealed, None)
    }

    /// Whether every chunk of `attachment` is stored here (not checked: only present).
    pub fn has_all(&self, attachment: &Attachment) -> bool {
        (0..attachment.chunk_count()).all(|i| self.chunk_path(&attachment.file_id, i).is_file())
    }

    /// Removes every chunk of `file` (nothing if there are none).
    pub fn remove(&self, file: &FileId) -> Result<(), VaultError> {
        let dir = self.file_dir(file);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(VaultError::Io { path: dir, source: e }),
        }
    }

    /// The files that have a folder here, whatever else is in `files/`.
    pub fn stored(&self) -> Result<Vec<FileId>, VaultError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(VaultError::Io { path: self.dir.clone(), source: e }),
        };
        Ok(entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<FileId>().ok()))
            .collect())
    }

    /// Seals what `source` yields as a new attachment named `name`, writing each sealed chunk
    /// here before reading the next (bounded memory, whatever the size). Refuses a source larger
    /// than `max_bytes` with [`VaultError::FileTooLarge`], removing what it wrote.
    pub fn seal(
        &self,
        account: &AccountId,
        name: &str,
        source: &mut dyn Read,
        max_bytes: u64,
        now: i64,
    ) -> Result<Attachment, VaultError> {
        let file_id = FileId::random();
        let key = FileKey::generate();
        let sealed = self.seal_chunks(account, &file_id, &key, name, source, max_bytes);
        match sealed {
            Ok((size, chunks)) => Ok(Attachment {
                file_id,
                name: name.to_owned(),
                size,
                key: *key.expose(),
                chunks,
                added: now,
            }),
            Err(e) => {
                let _ = self.remove(&file_id);
                Err(e)
            }
        }
    }

    fn seal_chunks(
        &self,
        account: &AccountId,
        file_id: &FileId,
        key: &FileKey,
        name: &str,
        source: &mut dyn Read,
        max_bytes: u64,
    ) -> Result<(u64, Vec<[u8; 32]>), VaultError> {
        let io = |e| VaultError::Io { path: PathBuf::from(name), source: e };
        let mut current = Zeroizing::new(vec![0u8; CHUNK_SIZE]);
        let mut next = Zeroizing::new(vec![0u8; CHUNK_SIZE]);
        let mut len = read_full(source, &mut current).map_err(io)?;
        let (mut size, mut hashes, mut index) = (0u64, Vec::new(), 0u32);
        loop {
            // A full chunk is the last one only if nothing follows it: look one chunk ahead.
            let next_len = if len == CHUNK_SIZE { read_full(source, &mut next).map_err(io)? } else { 0 };
            let last = next_len == 0;
            size += len as u64;
            if size > max_bytes {
                return Err(VaultError::FileTooLarge { name: name.to_owned(), limit: max_bytes });
            }
            let sealed = FileChunk::seal(key, account, file_id, index, last, &current[..len]);
            hashes.push(chunk_hash(&sealed));
            self.write_chunk(file_id, index, &sealed)?;
            if last {
                return Ok((size, hashes));
            }
            std::mem::swap(&mut current, &mut next);
            len = next_len;
            index = index
                .checked_add(1)
                .ok_or(VaultError::FileTooLarge { name: name.to_owned(), limit: max_bytes })?;
        }
    }
}

/// Reads until `buf` is full or the source ends; returns how much was read.
fn read_full(source: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn read_back(store: &FileStore, account: &AccountId, att: &Attachment) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..att.chunk_count() {
            let sealed = store.read_chunk(&att.file_id, i).unwrap().expect("stored");
            out.extend_from_slice(&att.open_chunk(account, i, &sealed).expect("authentic"));
        }
        out
    }

    #[test]
    fn files_of_every_shape_seal_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("files"));
        let account = AccountId([4; 16]);
        for size in [0, 1, 1000, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 7] {
            let content: Vec<u8> = (0..size).map(|j| (j % 253) as u8).collect();
            // A source that yields a few bytes at a time, as pipes do.
            struct Trickle<'a>(&'a [u8]);
            impl Read for Trickle<'_> {
                fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                    let n = buf.len().min(self.0.len()).min(4093);
                    buf[..n].copy_from_slice(&self.0[..n]);
                    self.0 = &self.0[n..];
                    Ok(n)
                }
            }
            let att = store.seal(&account, "f.bin", &mut Trickle(&content), u64::MAX, 1).unwrap();
            assert_eq!(att.size, size as u64);
            assert!(att.is_well_formed(), "{size}");
            assert!(store.has_all(&att));
            assert_eq!(read_back(&store, &account, &att), content, "{size}");
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&store.chunk_path(&att.file_id, 0)), 0o600);
            assert_eq!(mode(&store.file_dir(&att.file_id)), 0o700);
            assert_eq!(mode(store.dir()), 0o700);
        }
    }

    #[test]
    fn a_chunk_is_refused_by_its_hash_index_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("files"));
        let account = AccountId([4; 16]);
        let data = vec![9u8; CHUNK_SIZE + 10];
        let a = store.seal(&account, "a", &mut &data[..], u64::MAX, 1).unwrap();
        let b = store.seal(&account, "b", &mut &data[..], u64::MAX, 1).unwrap();
        let a0 = store.read_chunk(&a.file_id, 0).unwrap().unwrap();
        let a1 = store.read_chunk(&a.file_id, 1).unwrap().unwrap();
        let b1 = store.read_chunk(&b.file_id, 1).unwrap().unwrap();
        assert!(a.open_chunk(&account, 0, &a0).is_some());
        assert!(a.open_chunk(&account, 1, &a0).is_none(), "swapped index");
        assert!(a.open_chunk(&account, 1, &b1).is_none(), "another file's chunk");
        assert!(a.open_chunk(&account, 2, &a1).is_none(), "past the end");
        assert!(a.open_chunk(&AccountId([5; 16]), 1, &a1).is_none(), "another account");
        let mut flipped = a1.clone();
        flipped[100] ^= 1;
        assert!(a.open_chunk(&account, 1, &flipped).is_none(), "a flipped bit");
        // The same plaintext sealed again (a second upload) is not the chunk the item lists.
        let resealed = FileChunk::seal(&a.file_key(), &account, &a.file_id, 1, true, &data[CHUNK_SIZE..]);
        assert!(a.open_chunk(&account, 1, &resealed).is_none());
    }

    #[test]
    fn file_names_that_could_lie_or_escape_are_refused() {
        for bad in
            ["", "a/b", "..", ".", "evil\u{202E}fdp.exe", "new\nline", "zero\u{200B}width", &"x".repeat(256)]
        {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        for good in ["id_ed25519", "scan 2026-01.pdf", "ключ.pem", ".env", &"x".repeat(255)] {
            assert!(check_file_name(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn a_file_over_the_limit_is_refused_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("files"));
        let data = vec![1u8; 2 * CHUNK_SIZE + 1];
        let err =
            store.seal(&AccountId([4; 16]), "big", &mut &data[..], 2 * CHUNK_SIZE as u64, 1).unwrap_err();
        assert!(matches!(err, VaultError::FileTooLarge { .. }), "{err}");
        assert!(store.stored().unwrap().is_empty());
        // Exactly at the limit is fine.
        assert!(
            store
                .seal(&AccountId([4; 16]), "ok", &mut &data[..2 * CHUNK_SIZE], 2 * CHUNK_SIZE as u64, 1)
                .is_ok()
        );
    }
}

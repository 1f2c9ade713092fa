//! Attached files, sealed in chunks under a key of their own (docs/spec/crypto-v2.md,
//! "Attachments").
//!
//! A file is cut into chunks of [`CHUNK_SIZE`] bytes of plaintext (the last may be shorter; an
//! empty file is one empty chunk). Each chunk is sealed under the file's [`FileKey`] with an AAD
//! that names the account, the file, the chunk's index and whether it is the last one, so that a
//! chunk moved to another index or another file, or a file cut short at a chunk boundary, fails to
//! open. The last chunk is padded with padmé, as items are, so that a small file's length leaks
//! only its bucket. The item that holds the file keeps the file key and the SHA-256 of every
//! sealed chunk ([`chunk_hash`]): a reader compares the hash before it decrypts anything.

use zeroize::Zeroizing;

use crate::item::{pad, unpad};
use crate::{AccountId, DecryptError, FORMAT_V2, FileId, FileKey, aead, padme};

/// Bytes of plaintext in every chunk but the last: 1 MiB (`CHUNK` in the spec).
pub const CHUNK_SIZE: usize = hush_core::FILE_CHUNK_SIZE;

// The server's size limits (hush-core) must be what sealing produces.
const _: () = assert!(hush_core::SEALED_CHUNK_OVERHEAD == aead::HEADER_LEN + aead::TAG_LEN);
const _: () = assert!(hush_core::FULL_SEALED_CHUNK_LEN == CHUNK_SIZE + aead::HEADER_LEN + aead::TAG_LEN);

/// The number of chunks of a file of `size` bytes: `max(1, ceil(size / CHUNK))`. `None` if that
/// is more than a `u32` index can name (a file of 4 PiB).
pub fn chunk_count(size: u64) -> Option<u32> {
    let n = size.div_ceil(CHUNK_SIZE as u64).max(1);
    u32::try_from(n).ok()
}

/// The plaintext length of chunk `index` of a file of `size` bytes (`None` past the last chunk).
pub fn chunk_len(size: u64, index: u32) -> Option<usize> {
    let n = chunk_count(size)?;
    if index >= n {
        return None;
    }
    let start = u64::from(index) * CHUNK_SIZE as u64;
    // At most CHUNK_SIZE, so it fits a usize.
    Some((size - start).min(CHUNK_SIZE as u64) as usize)
}

/// SHA-256 of a sealed chunk, as the item keeps it (`chunk_hash_i = H(chunk_i)`).
pub fn chunk_hash(sealed: &[u8]) -> [u8; 32] {
    crate::blob_hash(sealed)
}

/// One sealed chunk: `0x02 || u32le(0) || nonce || XSeal(FK, nonce, chunk_plain, chunk_aad)`.
pub struct FileChunk;

impl FileChunk {
    /// `"hush/v2/file-chunk" || account_id || file_id || u32le(index) || u8(last)`.
    pub fn aad(account_id: &AccountId, file_id: &FileId, index: u32, last: bool) -> Vec<u8> {
        [
            b"hush/v2/file-chunk".as_slice(),
            account_id.as_bytes(),
            file_id.as_bytes(),
            &index.to_le_bytes(),
            &[u8::from(last)],
        ]
        .concat()
    }

    /// Seals chunk `index` of a file with a fresh nonce. `plain` is the chunk's part of the
    /// file; the last chunk is padded here.
    ///
    /// # Panics
    /// If a chunk that is not the last does not hold exactly [`CHUNK_SIZE`] bytes, or any chunk
    /// holds more: cutting the file is the caller's job, and a wrong cut is a bug.
    pub fn seal(
        fk: &FileKey,
        account_id: &AccountId,
        file_id: &FileId,
        index: u32,
        last: bool,
        plain: &[u8],
    ) -> Vec<u8> {
        Self::seal_with_nonce(fk, account_id, file_id, index, last, plain, &crate::random_array())
    }

    /// Seals with a given nonce: known-answer tests only.
    #[doc(hidden)]
    pub fn seal_with_nonce(
        fk: &FileKey,
        account_id: &AccountId,
        file_id: &FileId,
        index: u32,
        last: bool,
        plain: &[u8],
        nonce: &[u8; 24],
    ) -> Vec<u8> {
        assert!(
            if last { plain.len() <= CHUNK_SIZE } else { plain.len() == CHUNK_SIZE },
            "a chunk holds CHUNK_SIZE bytes, the last one at most that"
        );
        let aad = Self::aad(account_id, file_id, index, last);
        if last {
            aead::seal_with_nonce(FORMAT_V2, fk.expose(), 0, nonce, &pad(plain), &aad)
        } else {
            aead::seal_with_nonce(FORMAT_V2, fk.expose(), 0, nonce, plain, &aad)
        }
    }

    /// Opens chunk `index` of a file whose chunk `index` holds `expected_len` bytes of plaintext
    /// ([`chunk_len`]), and checks it as the spec's reader does: the header is exactly
    /// `0x02 || u32le(0)`, it authenticates under `FK` with this chunk's AAD, a chunk that is not
    /// the last holds exactly [`CHUNK_SIZE`] bytes, and the last one is padded exactly to
    /// `padme(len + 1)`. Every failure is the one opaque [`DecryptError`]. The caller compares
    /// the chunk's hash with the item's first ([`chunk_hash`]).
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        fk: &FileKey,
        account_id: &AccountId,
        file_id: &FileId,
        index: u32,
        last: bool,
        expected_len: usize,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        if sealed.get(..5) != Some(&hush_core::SEALED_CHUNK_HEADER[..]) {
            return Err(DecryptError);
        }
        let aad = Self::aad(account_id, file_id, index, last);
        let plain = aead::open(FORMAT_V2, fk.expose(), 0, sealed, &aad)?;
        if !last {
            return if plain.len() == CHUNK_SIZE && expected_len == CHUNK_SIZE {
                Ok(plain)
            } else {
                Err(DecryptError)
            };
        }
        let padded_len = plain.len();
        let plain = unpad(plain)?;
        if plain.len() != expected_len || padded_len != padme(plain.len() + 1) {
            return Err(DecryptError);
        }
        Ok(plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (AccountId, FileId) {
        (AccountId([1; 16]), FileId([2; 16]))
    }

    #[test]
    fn counts_and_lengths() {
        let c = CHUNK_SIZE as u64;
        assert_eq!(chunk_count(0), Some(1));
        assert_eq!(chunk_count(1), Some(1));
        assert_eq!(chunk_count(c), Some(1));
        assert_eq!(chunk_count(c + 1), Some(2));
        assert_eq!(chunk_count(100 * c), Some(100));
        assert_eq!(chunk_len(0, 0), Some(0));
        assert_eq!(chunk_len(0, 1), None);
        assert_eq!(chunk_len(c + 5, 0), Some(CHUNK_SIZE));
        assert_eq!(chunk_len(c + 5, 1), Some(5));
        assert_eq!(chunk_len(c, 0), Some(CHUNK_SIZE));
        assert_eq!(chunk_count(u64::MAX), None);
        // The longest sealed chunk the server takes is the longest sealing makes.
        assert_eq!(padme(CHUNK_SIZE + 1) + 45, hush_core::MAX_SEALED_CHUNK_LEN);
        assert_eq!(padme(1) + 45, hush_core::MIN_SEALED_CHUNK_LEN);
    }

    #[test]
    fn chunks_open_only_where_they_were_sealed() {
        let (account, file) = ids();
        let fk = FileKey::generate();
        let last = FileChunk::seal(&fk, &account, &file, 1, true, b"tail");
        assert_eq!(last.len(), hush_core::MIN_SEALED_CHUNK_LEN);
        assert_eq!(&*FileChunk::open(&fk, &account, &file, 1, true, 4, &last).unwrap(), b"tail");
        // Another index, the last flag cleared, another file, account or key, another length.
        assert!(FileChunk::open(&fk, &account, &file, 0, true, 4, &last).is_err());
        assert!(FileChunk::open(&fk, &account, &file, 1, false, 4, &last).is_err());
        assert!(FileChunk::open(&fk, &account, &FileId([3; 16]), 1, true, 4, &last).is_err());
        assert!(FileChunk::open(&fk, &AccountId([9; 16]), &file, 1, true, 4, &last).is_err());
        assert!(FileChunk::open(&FileKey::generate(), &account, &file, 1, true, 4, &last).is_err());
        assert!(FileChunk::open(&fk, &account, &file, 1, true, 5, &last).is_err());
        // Every flipped bit, including the header's key version (not in the AAD).
        for bit in 0..last.len() * 8 {
            let mut bad = last.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(FileChunk::open(&fk, &account, &file, 1, true, 4, &bad).is_err(), "bit {bit}");
        }
        let full = vec![7u8; CHUNK_SIZE];
        let first = FileChunk::seal(&fk, &account, &file, 0, false, &full);
        assert_eq!(first.len(), hush_core::FULL_SEALED_CHUNK_LEN);
        assert_eq!(&*FileChunk::open(&fk, &account, &file, 0, false, CHUNK_SIZE, &first).unwrap(), &full[..]);
        assert!(FileChunk::open(&fk, &account, &file, 0, true, CHUNK_SIZE, &first).is_err());
    }

    #[test]
    fn an_empty_file_is_one_padded_chunk() {
        let (account, file) = ids();
        let fk = FileKey::generate();
        let sealed = FileChunk::seal(&fk, &account, &file, 0, true, b"");
        assert_eq!(sealed.len(), hush_core::MIN_SEALED_CHUNK_LEN);
        assert!(FileChunk::open(&fk, &account, &file, 0, true, 0, &sealed).unwrap().is_empty());
    }

    #[test]
    #[should_panic(expected = "CHUNK_SIZE")]
    fn a_short_chunk_that_is_not_the_last_is_a_bug() {
        let (account, file) = ids();
        FileChunk::seal(&FileKey::generate(), &account, &file, 0, false, b"short");
    }
}

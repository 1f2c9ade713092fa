//! Sealed chunks of attached files (docs/spec/crypto-v2.md, "Attachments"), which come from the
//! sync server and from the profile's `files/` folder: `hush_crypto::FileChunk::open`, and
//! `hush_vault::Attachment::open_chunk`, the reader that checks a chunk's hash first.
//!
//! The first input byte chooses where the chunk is read: bit 0 whether it is the last chunk,
//! bits 1 and 2 its index; the next two (little-endian) the plaintext length the reader expects
//! of a last chunk (a chunk before the last always holds `CHUNK_SIZE`). The rest is the sealed
//! chunk, opened under the fixed key, account and file of `hush_fuzz::chunk` (the seeds are
//! sealed under them).
//!
//! Properties: opening never panics on any bytes; a chunk that opens has the length its reader
//! expects, and opens nowhere else (another index, the other `last`, another length); the
//! attachment's reader agrees with `FileChunk::open`, and refuses the chunk under another hash;
//! and the remaining bytes as a last chunk's plaintext seal into a chunk that opens back to
//! them, only where it was sealed.
#![no_main]

use hush_crypto::{CHUNK_SIZE, FileChunk, chunk_hash, chunk_len, padme};
use hush_fuzz::chunk::{ACCOUNT, FILE, KEY};
use hush_vault::Attachment;
use libfuzzer_sys::fuzz_target;

fn open(index: u32, last: bool, len: usize, sealed: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    FileChunk::open(&hush_crypto::FileKey::from_bytes(KEY), &ACCOUNT, &FILE, index, last, len, sealed).ok()
}

/// An attachment whose chunk `index` is `sealed`, of `size` bytes.
fn attachment(index: u32, last: bool, len: usize, sealed: &[u8]) -> Attachment {
    let chunks = index as usize + usize::from(!last) + 1;
    let size = index as u64 * CHUNK_SIZE as u64 + if last { len as u64 } else { CHUNK_SIZE as u64 + 1 };
    let mut hashes = vec![[0u8; 32]; chunks];
    hashes[index as usize] = chunk_hash(sealed);
    Attachment { file_id: FILE, name: "fuzz".into(), size, key: KEY, chunks: hashes, added: hush_fuzz::NOW }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let last = selector & 1 == 1;
    let index = u32::from((selector >> 1) & 3);
    let (len, sealed) = if last {
        let Some((len, sealed)) = rest.split_first_chunk::<2>() else { return };
        (usize::from(u16::from_le_bytes(*len)), sealed)
    } else {
        (CHUNK_SIZE, rest)
    };

    let opened = open(index, last, len, sealed);
    let file = attachment(index, last, len, sealed);
    let read = file.open_chunk(&ACCOUNT, index, sealed);
    if chunk_len(file.size, index) == Some(len) {
        assert_eq!(
            read.as_deref(),
            opened.as_deref(),
            "the attachment's reader and FileChunk::open disagree"
        );
    } else {
        // An empty last chunk after others: no file has one (an empty file is one chunk).
        assert!(read.is_none(), "the attachment's reader opened a chunk its file cannot have");
    }
    let mut moved = file.clone();
    moved.chunks[index as usize][0] ^= 1;
    assert!(moved.open_chunk(&ACCOUNT, index, sealed).is_none(), "a chunk opened under another hash");
    if let Some(plain) = opened {
        assert_eq!(plain.len(), len, "a chunk opened with another length than expected");
        assert!(open(index ^ 1, last, len, sealed).is_none(), "a chunk opened at another index");
        assert!(open(index, !last, len, sealed).is_none(), "a chunk opened as the other `last`");
        assert!(open(index, last, len + 1, sealed).is_none(), "a chunk opened with another length");
    }

    // The rest as the plaintext of a last chunk: sealing is never the fuzzer's to break, but
    // what opens after authentication (the padding) is checked on every length.
    let plain = rest;
    if plain.len() > CHUNK_SIZE {
        return;
    }
    let fk = hush_crypto::FileKey::from_bytes(KEY);
    let sealed = FileChunk::seal(&fk, &ACCOUNT, &FILE, index, true, plain);
    assert_eq!(sealed.len(), padme(plain.len() + 1) + hush_core::SEALED_CHUNK_OVERHEAD);
    assert_eq!(
        open(index, true, plain.len(), &sealed).as_deref().map(|p| &p[..]),
        Some(plain),
        "a sealed chunk does not open back"
    );
    assert!(open(index, true, plain.len() + 1, &sealed).is_none());
    assert!(open(index, false, CHUNK_SIZE, &sealed).is_none());
    assert!(open(index ^ 1, true, plain.len(), &sealed).is_none());
});

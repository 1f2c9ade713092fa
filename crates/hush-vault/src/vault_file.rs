//! The on-disk layout of `vault.hush` (docs/vault-format.md).
//!
//! ```text
//! magic "hushvlt\0" (8) || u16le format (2)
//! u32le header_len || header          bincode FileHeader, at most 64 KiB
//! header_sha256 (32)                  SHA-256 of everything before it (format 2)
//! u32le state_len  || state           LocalState sealed under the vault key
//! u32le item_count || item_count × ( id (16) || u32le blob_len )     the table
//! blobs, concatenated in table order
//! ```
//! Everything a read-only command needs (header, sealed state with the search index,
//! table) comes first, so `hush get` reads that prefix and then only the one blob it
//! shows, not the whole file (issue #4). The item blobs are byte for byte what the
//! server holds. The parser is written by hand with a bound on every length, so a
//! damaged or hostile file is refused before anything large is allocated; nothing in
//! it is trusted until it authenticates.
//!
//! The header's checksum (format 2, issue #9) tells a damaged header apart from a
//! wrong master password: the header is cleartext, and before the checksum a flipped
//! bit in the KDF parameters, salt or keyset only showed as a keyset that would not
//! open, after a full KDF run. It is not a MAC: whoever can write the file can
//! recompute it, and then the keyset still fails to open, as before (docs/vault-format.md,
//! "Damage and tampering"). Format 1, without it, is still read; every write is format 2.

use std::io::Read;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use hush_crypto::{AccountId, ItemId, KdfParams, KdfSalt, Keyset, KeysetContext};

use crate::{VaultError, encoding};

/// The file's magic bytes.
pub const MAGIC: &[u8; 8] = b"hushvlt\0";
/// The layout version written by this code: 2, with the header's checksum.
pub const FORMAT_VERSION: u16 = 2;
/// The first layout, without the header's checksum: still read, never written.
pub const FORMAT_VERSION_1: u16 = 1;
const MAX_HEADER: usize = 64 * 1024;
/// The largest item blob a vault file may hold when it is read. Larger than
/// [`MAX_ITEM_BLOB`] so that a vault written before that limit existed still opens
/// (and its oversized item can be shortened or deleted).
pub const MAX_BLOB: usize = 1024 * 1024;
/// The largest item blob hush creates: 256 KiB, the sync server's default per-blob
/// limit (`max_blob_bytes`, docs/server.md "Limits"). An item sealed larger would be
/// refused by the server at the next sync, so every user-facing write (`add`, `edit`,
/// `import`) checks it before anything is written ([`crate::Vault::try_put`],
/// [`crate::Editor::put`]). The server's limit is inclusive, and so is this one.
pub const MAX_ITEM_BLOB: usize = 256 * 1024;
const MAX_STATE: usize = 1 << 30;

/// The cleartext header: what is needed to unlock, and nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHeader {
    /// The account's random id.
    pub account_id: [u8; 16],
    /// Argon2id memory in KiB.
    pub m_kib: u32,
    /// Argon2id passes.
    pub t: u32,
    /// Argon2id lanes.
    pub p: u32,
    /// Argon2id salt.
    pub salt: [u8; 16],
    /// The vault key's version.
    pub key_version: u32,
    /// The vault key sealed under the kek (docs/spec/crypto-v2.md, "Keyset").
    pub keyset: Vec<u8>,
    /// Set when the vault was created below the KDF floor with `--insecure-kdf`.
    pub insecure_kdf: bool,
}

impl FileHeader {
    /// The header for a keyset sealed with `ctx`: the parameters, salt and key version
    /// in the header are exactly those bound into the keyset's AAD.
    pub fn new(ctx: &KeysetContext, keyset: Keyset) -> FileHeader {
        FileHeader {
            account_id: ctx.account_id.0,
            m_kib: ctx.params.m_kib,
            t: ctx.params.t,
            p: ctx.params.p,
            salt: ctx.salt.0,
            key_version: ctx.key_version,
            keyset: keyset.0,
            insecure_kdf: !ctx.params.meets_floor(),
        }
    }

    /// The account id.
    pub fn account_id(&self) -> AccountId {
        AccountId(self.account_id)
    }

    /// The KDF parameters.
    pub fn params(&self) -> KdfParams {
        KdfParams { m_kib: self.m_kib, t: self.t, p: self.p }
    }

    /// Everything the keyset's AAD binds.
    pub fn keyset_context(&self) -> KeysetContext {
        KeysetContext {
            account_id: self.account_id(),
            params: self.params(),
            salt: KdfSalt(self.salt),
            key_version: self.key_version,
        }
    }

    /// The keyset.
    pub fn keyset(&self) -> Keyset {
        Keyset(self.keyset.clone())
    }
}

/// A parsed but still encrypted vault file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultFile {
    /// The cleartext header.
    pub header: FileHeader,
    /// Every item blob (tombstones included), as the server holds them.
    pub items: Vec<(ItemId, Vec<u8>)>,
    /// The sealed local state (`LocalState`).
    pub state: Vec<u8>,
}

impl VaultFile {
    /// Serialises the file.
    pub fn to_bytes(&self) -> Vec<u8> {
        write_file(&self.header, &self.state, self.items.iter().map(|(id, blob)| (*id, &blob[..])))
    }

    /// Parses a file, checking every length against its bound and against what is
    /// left of the input.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VaultError> {
        let raw = RawFile::parse(bytes)?;
        Ok(VaultFile {
            items: raw.items.iter().map(|(id, r)| (*id, bytes[in_memory(r)].to_vec())).collect(),
            state: raw.state,
            header: raw.header,
        })
    }
}

/// Serialises a file from its parts, the blobs by reference (in table order).
pub(crate) fn write_file<'a>(
    header: &FileHeader,
    state: &[u8],
    items: impl Iterator<Item = (ItemId, &'a [u8])> + Clone,
) -> Vec<u8> {
    let header = encoding::encode_raw(header);
    let (count, blobs_len) = items.clone().fold((0, 0), |(n, len), (_, b)| (n + 1, len + b.len()));
    let mut out = Vec::with_capacity(
        8 + 2 + 4 + header.len() + CHECKSUM_LEN + 4 + state.len() + 4 + 20 * count + blobs_len,
    );
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    put_len(&mut out, header.len());
    out.extend_from_slice(&header);
    let checksum = header_checksum(&out);
    out.extend_from_slice(&checksum);
    put_len(&mut out, state.len());
    out.extend_from_slice(state);
    put_len(&mut out, count);
    for (id, blob) in items.clone() {
        out.extend_from_slice(id.as_bytes());
        put_len(&mut out, blob.len());
    }
    for (_, blob) in items {
        out.extend_from_slice(blob);
    }
    out
}

/// A range of a file held in memory (its offsets were checked against its length).
pub(crate) fn in_memory(r: &std::ops::Range<u64>) -> std::ops::Range<usize> {
    usize::try_from(r.start).expect("in-memory offset")..usize::try_from(r.end).expect("in-memory offset")
}

/// The prefix of a vault file, without the blobs: the header, the sealed state and,
/// for every item, its id and where its blob lies in the file.
#[derive(Debug, Clone)]
pub struct RawFile {
    /// The cleartext header.
    pub header: FileHeader,
    /// The sealed state.
    pub state: Vec<u8>,
    /// Each item's id and the byte range of its blob in the file.
    pub items: Vec<(ItemId, std::ops::Range<u64>)>,
}

impl RawFile {
    /// Parses a whole file held in memory.
    pub fn parse(bytes: &[u8]) -> Result<Self, VaultError> {
        Self::read_prefix(&mut &bytes[..], bytes.len() as u64)
    }

    /// Reads the prefix from `input`, the start of a file of `file_len` bytes. Every
    /// length is checked against its bound and against the file's length before
    /// anything is allocated, and the blobs must end exactly at the end of the file.
    pub fn read_prefix(input: &mut impl Read, file_len: u64) -> Result<Self, VaultError> {
        let mut r = Reader { input, pos: 0, len: file_len };
        let (header, state, count) = read_start(&mut r)?;
        let mut table = Vec::with_capacity(count);
        for _ in 0..count {
            let id = ItemId(r.array()?);
            table.push((id, r.len(MAX_BLOB)? as u64));
        }
        let mut offset = r.pos;
        let mut items = Vec::with_capacity(count);
        for (id, len) in table {
            items.push((id, offset..offset + len));
            offset += len;
        }
        if offset != file_len {
            let what =
                if offset > file_len { "the file is truncated" } else { "trailing bytes after the vault" };
            return Err(VaultError::Corrupt(what.into()));
        }
        Ok(RawFile { header, state, items })
    }
}

/// What a read-only view needs of the file before its key: the header, the sealed
/// state, and where the blobs start. The cleartext table is skipped: the sealed index
/// says where each blob lies (`index::table`), and nothing in the table is trusted.
#[derive(Debug, Clone)]
pub struct ViewPrefix {
    /// The cleartext header.
    pub header: FileHeader,
    /// The sealed state.
    pub state: Vec<u8>,
    /// The offset of the first blob in the file.
    pub blobs_at: u64,
}

impl ViewPrefix {
    /// Reads the prefix from `input`, the start of a file of `file_len` bytes.
    pub fn read(input: &mut impl Read, file_len: u64) -> Result<Self, VaultError> {
        let mut r = Reader { input, pos: 0, len: file_len };
        let (header, state, count) = read_start(&mut r)?;
        let blobs_at = r.pos + 20 * count as u64;
        Ok(ViewPrefix { header, state, blobs_at })
    }
}

/// Reads the header, the sealed state and the item count. Each item takes at least
/// 20 bytes of table, which bounds the count by what is left of the file.
fn read_start<R: Read>(r: &mut Reader<'_, R>) -> Result<(FileHeader, Vec<u8>, usize), VaultError> {
    let header = read_header(r)?;
    let state_len = r.len(MAX_STATE)?;
    let state = r.bytes(state_len)?;
    let count = r.len(usize::try_from(r.remaining() / 20).unwrap_or(usize::MAX))?;
    Ok((header, state, count))
}

/// Length of the header's checksum (format 2).
const CHECKSUM_LEN: usize = 32;

/// SHA-256 of the file's start up to the end of the header: magic, format, header
/// length and header (docs/vault-format.md, "`vault.hush`").
fn header_checksum(start: &[u8]) -> [u8; CHECKSUM_LEN] {
    Sha256::digest(start).into()
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&u32::try_from(len).expect("length fits in u32").to_le_bytes());
}

/// Reads only the cleartext header of the vault file at `path`: what a command needs
/// to find the key (agent or KDF) before it takes the lock and reads everything.
pub fn read_header_at(path: &std::path::Path) -> Result<FileHeader, VaultError> {
    let (file, len) = open_vault_file(path)?;
    read_header(&mut Reader { input: &mut std::io::BufReader::new(&file), pos: 0, len })
}

/// Opens the vault file at `path` for reading, with its length; a missing file is
/// [`VaultError::NotFound`], which tells the user how to create one.
pub(crate) fn open_vault_file(path: &std::path::Path) -> Result<(std::fs::File, u64), VaultError> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => VaultError::NotFound(path.to_owned()),
        _ => VaultError::Io { path: path.to_owned(), source: e },
    })?;
    let len = file.metadata().map_err(VaultError::io(path))?.len();
    Ok((file, len))
}

/// Reads the header and, in format 2, checks it against its checksum before anything
/// in it is decoded or used: a damaged header is reported as damage
/// ([`VaultError::Corrupt`]), never as a wrong password, and no KDF runs on it.
fn read_header<R: Read>(r: &mut Reader<'_, R>) -> Result<FileHeader, VaultError> {
    let magic = r.bytes(8)?;
    if magic != MAGIC {
        return Err(VaultError::Corrupt("not a hush vault file".into()));
    }
    let version_bytes: [u8; 2] = r.array()?;
    let version = u16::from_le_bytes(version_bytes);
    if version != FORMAT_VERSION && version != FORMAT_VERSION_1 {
        return Err(unknown_version(r, version));
    }
    let len_bytes: [u8; 4] = r.array()?;
    let header_len = bounded(len_bytes, MAX_HEADER)?;
    let header = r.bytes(header_len)?;
    if version == FORMAT_VERSION {
        let stored: [u8; CHECKSUM_LEN] = r.array()?;
        let start = [&magic[..], &version_bytes, &len_bytes, &header].concat();
        if header_checksum(&start) != stored {
            return Err(VaultError::Corrupt("its header does not match its checksum".into()));
        }
    }
    encoding::decode_raw(&header, MAX_HEADER as u64)
        .map_err(|e| VaultError::Corrupt(format!("bad header: {e}")))
}

/// The error for a format this hush does not know. A newer hush's file is
/// [`VaultError::UnsupportedVersion`]; but if the rest of the start reads as a format-2
/// header whose checksum matches with the format 2 in its place, the format field
/// itself was damaged (a flipped bit never turns 2 into 1, so format 1 needs no such
/// check).
fn unknown_version<R: Read>(r: &mut Reader<'_, R>, version: u16) -> VaultError {
    let mut as_format_2 = || -> Result<bool, VaultError> {
        let len_bytes: [u8; 4] = r.array()?;
        let header = r.bytes(bounded(len_bytes, MAX_HEADER)?)?;
        let stored: [u8; CHECKSUM_LEN] = r.array()?;
        let start = [&MAGIC[..], &FORMAT_VERSION.to_le_bytes(), &len_bytes, &header].concat();
        Ok(header_checksum(&start) == stored)
    };
    match as_format_2() {
        Ok(true) => VaultError::Corrupt(format!("its format field reads {version}, not {FORMAT_VERSION}")),
        _ => VaultError::UnsupportedVersion(u8::try_from(version).unwrap_or(u8::MAX)),
    }
}

/// A little-endian length checked against its bound.
fn bounded(bytes: [u8; 4], max: usize) -> Result<usize, VaultError> {
    let n = u32::from_le_bytes(bytes) as usize;
    if n > max {
        return Err(VaultError::Corrupt(format!("a length of {n} exceeds its bound of {max}")));
    }
    Ok(n)
}

/// Sequential reads with every length checked against what the file has left.
struct Reader<'a, R: Read> {
    input: &'a mut R,
    pos: u64,
    len: u64,
}

impl<R: Read> Reader<'_, R> {
    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    fn bytes(&mut self, n: usize) -> Result<Vec<u8>, VaultError> {
        if self.remaining() < n as u64 {
            return Err(VaultError::Corrupt("the file is truncated".into()));
        }
        let mut buf = vec![0; n];
        self.input.read_exact(&mut buf).map_err(|_| VaultError::Corrupt("the file is truncated".into()))?;
        self.pos += n as u64;
        Ok(buf)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], VaultError> {
        Ok(self.bytes(N)?.try_into().expect("read exactly N bytes"))
    }

    fn len(&mut self, max: usize) -> Result<usize, VaultError> {
        bounded(self.array()?, max)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn sample() -> VaultFile {
        VaultFile {
            header: FileHeader {
                account_id: [1; 16],
                m_kib: 65536,
                t: 3,
                p: 1,
                salt: [2; 16],
                key_version: 1,
                keyset: vec![3; 77],
                insecure_kdf: false,
            },
            items: vec![(ItemId([4; 16]), vec![5; 300]), (ItemId([6; 16]), vec![7; 301])],
            state: vec![8; 99],
        }
    }

    #[test]
    fn round_trip() {
        let f = sample();
        assert_eq!(VaultFile::from_bytes(&f.to_bytes()).unwrap(), f);
    }

    #[test]
    fn every_truncation_is_refused() {
        let bytes = sample().to_bytes();
        for len in 0..bytes.len() {
            assert!(VaultFile::from_bytes(&bytes[..len]).is_err(), "truncated to {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(VaultFile::from_bytes(&longer).is_err());
    }

    /// Where the state's length lies in a format-2 file: after the header and its
    /// checksum.
    fn state_len_at(bytes: &[u8]) -> usize {
        14 + u32::from_le_bytes(bytes[10..14].try_into().unwrap()) as usize + CHECKSUM_LEN
    }

    #[test]
    fn huge_lengths_are_refused_without_allocating() {
        let mut bytes = sample().to_bytes();
        // The item count sits right after the header, its checksum and the state.
        let at = state_len_at(&bytes);
        let state_len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let at = at + 4 + state_len;
        bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(VaultFile::from_bytes(&bytes), Err(VaultError::Corrupt(_))));
    }

    #[test]
    fn wrong_magic_and_newer_formats() {
        let mut bytes = sample().to_bytes();
        bytes[0] = b'X';
        assert!(matches!(VaultFile::from_bytes(&bytes), Err(VaultError::Corrupt(_))));
        // A newer hush's file: another format, whose start does not read as format 2
        // (here: a checksum over its own format number).
        let mut bytes = sample().to_bytes();
        bytes[8..10].copy_from_slice(&3u16.to_le_bytes());
        let end = state_len_at(&bytes) - CHECKSUM_LEN;
        let checksum = header_checksum(&bytes[..end]);
        bytes[end..end + CHECKSUM_LEN].copy_from_slice(&checksum);
        assert!(matches!(VaultFile::from_bytes(&bytes), Err(VaultError::UnsupportedVersion(3))));
        // Garbage after an unknown format number is a newer format too, not damage.
        let mut short = MAGIC.to_vec();
        short.extend_from_slice(&7u16.to_le_bytes());
        assert!(matches!(VaultFile::from_bytes(&short), Err(VaultError::UnsupportedVersion(7))));
    }

    /// Issue #9, item 8: a flipped bit anywhere in the cleartext start (magic,
    /// format, header length, KDF parameters, salt, keyset, account id, or the
    /// checksum itself) is damage, found before anything in the header is used. With
    /// format 1, most of these read as a wrong master password after a KDF run.
    #[test]
    fn every_bit_flip_in_the_header_is_reported_as_damage() {
        let bytes = sample().to_bytes();
        let end = state_len_at(&bytes);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.hush");
        for byte in 0..end {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[byte] ^= 1 << bit;
                let err = VaultFile::from_bytes(&damaged).err();
                assert!(matches!(err, Some(VaultError::Corrupt(_))), "byte {byte} bit {bit}: {err:?}");
                let err = ViewPrefix::read(&mut &damaged[..], damaged.len() as u64).err();
                assert!(matches!(err, Some(VaultError::Corrupt(_))), "byte {byte} bit {bit}: {err:?}");
                if bit == 0 {
                    // What a command reads before it runs the KDF.
                    std::fs::write(&path, &damaged).unwrap();
                    let err = read_header_at(&path).err();
                    assert!(matches!(err, Some(VaultError::Corrupt(_))), "byte {byte}: {err:?}");
                }
            }
        }
        let err = VaultFile::from_bytes(&[&bytes[..12], &[0xff], &bytes[13..]].concat()).err().unwrap();
        assert!(err.to_string().contains("exceeds its bound"), "{err}");
        let mut flipped = bytes.clone();
        flipped[20] ^= 1;
        let err = VaultFile::from_bytes(&flipped).err().unwrap();
        assert!(err.to_string().contains("checksum"), "{err}");
        let mut flipped = bytes;
        flipped[8] ^= 1;
        let err = VaultFile::from_bytes(&flipped).err().unwrap();
        assert!(err.to_string().contains("format field reads 3"), "{err}");
    }

    /// `bytes` (format 2) as the previous hush wrote it: format 1, no checksum.
    pub(crate) fn to_format_1(bytes: &[u8]) -> Vec<u8> {
        let checksum_at = state_len_at(bytes) - CHECKSUM_LEN;
        let mut old = [&bytes[..checksum_at], &bytes[checksum_at + CHECKSUM_LEN..]].concat();
        old[8..10].copy_from_slice(&FORMAT_VERSION_1.to_le_bytes());
        old
    }

    #[test]
    fn format_1_files_are_read_and_written_as_format_2() {
        let f = sample();
        let old = to_format_1(&f.to_bytes());
        assert_eq!(u16::from_le_bytes([old[8], old[9]]), 1);
        assert_eq!(VaultFile::from_bytes(&old).unwrap(), f);
        let prefix = ViewPrefix::read(&mut &old[..], old.len() as u64).unwrap();
        assert_eq!(prefix.header, f.header);
        assert_eq!(RawFile::parse(&old).unwrap().items.len(), 2);
        let rewritten = VaultFile::from_bytes(&old).unwrap().to_bytes();
        assert_eq!(u16::from_le_bytes([rewritten[8], rewritten[9]]), FORMAT_VERSION);
        assert_eq!(rewritten, f.to_bytes());
        // Format 1 has no checksum, so it is never refused as damaged for one: many
        // different headers (every keyset length, odd parameters) all read.
        for n in 0..200u32 {
            let mut g = sample();
            g.header.keyset = vec![n as u8; n as usize];
            g.header.m_kib = n.wrapping_mul(2_654_435_761);
            g.header.salt[(n % 16) as usize] = n as u8;
            assert_eq!(VaultFile::from_bytes(&to_format_1(&g.to_bytes())).unwrap(), g, "{n}");
        }
        // Every truncation of a format-1 file is refused too.
        for len in 0..old.len() {
            assert!(VaultFile::from_bytes(&old[..len]).is_err(), "truncated to {len}");
        }
    }
}

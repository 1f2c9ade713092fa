//! The search index as the sealed state stores it: fixed-width records sorted by id,
//! then their strings. Read-only commands search it where it lies in the decrypted
//! buffer, so `hush get` on 10,000 items allocates and decodes nothing but the entry
//! it shows (issue #4; docs/vault-format.md, "The search index").
//!
//! ```text
//! u32le count || u32le string_count
//! count × record (80 bytes):
//!   id (16) || blob_hash (32) || u64le blob_offset || u32le blob_len || i64le updated
//!   || u8 kind || u8 flags || u16le host_count || u16le tag_count || 2 zero bytes
//!   || u32le first_string
//! string_count × u32le end          where each string ends in the text
//! text                              every string, concatenated, UTF-8
//! ```
//! Each record owns `2 + host_count + tag_count` consecutive strings from
//! `first_string` on: its name, user name, hosts and tags. `blob_offset` counts from
//! the first blob of the file, so the writer knows it before it knows how long the
//! sealed state will be, and a reader finds the blob without the file's cleartext
//! table. Everything is checked once when the index is parsed (bounds, the text's
//! UTF-8 in one pass, ids strictly increasing), so reading an entry afterwards cannot
//! fail. The bytes are authenticated plaintext: the checks guard against our own
//! bugs and a future writer, not against an attacker, who cannot produce them.

use std::ops::Range;

use zeroize::Zeroizing;

use hush_crypto::ItemId;

use super::{IndexRecord, SearchFields};
use crate::{ItemKind, VaultError};

const RECORD_LEN: usize = 80;
const DELETED: u8 = 1;
const ROTATION_PENDING: u8 = 2;
const HAS_TOTP: u8 = 4;
/// In the trash; new with state version 4 (docs/vault-format.md, "The search index").
const TRASHED: u8 = 8;

/// Where an item's blob lies, counted from the first blob of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobSpan {
    /// Offset from the first blob.
    pub offset: u64,
    /// Length in bytes.
    pub len: u32,
}

/// What the index stores of an entry: an owned [`IndexRecord`] (an item the vault just
/// sealed) or an [`IndexRecordRef`] copied from the index it was read from.
pub(crate) trait Record: SearchFields {
    /// SHA-256 of the item's blob.
    fn blob_hash(&self) -> [u8; 32];
    /// The item's kind.
    fn kind(&self) -> ItemKind;
    /// The flags byte.
    fn flags(&self) -> u8;
    /// Unix seconds of the last change.
    fn updated(&self) -> i64;
}

impl Record for &IndexRecord {
    fn blob_hash(&self) -> [u8; 32] {
        self.blob_hash
    }

    fn kind(&self) -> ItemKind {
        self.kind
    }

    fn flags(&self) -> u8 {
        let flag = |set: bool, flag: u8| if set { flag } else { 0 };
        flag(self.deleted, DELETED)
            | flag(self.rotation_pending, ROTATION_PENDING)
            | flag(self.has_totp, HAS_TOTP)
            | flag(self.trashed, TRASHED)
    }

    fn updated(&self) -> i64 {
        self.updated
    }
}

impl Record for IndexRecordRef<'_> {
    fn blob_hash(&self) -> [u8; 32] {
        IndexRecordRef::blob_hash(*self)
    }

    fn kind(&self) -> ItemKind {
        kind_of(self.record[68]).unwrap_or_default()
    }

    fn flags(&self) -> u8 {
        self.record[69]
    }

    fn updated(&self) -> i64 {
        i64::from_le_bytes(self.record[60..68].try_into().expect("8 bytes"))
    }
}

/// Appends the index of `entries` (sorted by id, each with its blob's length, in the
/// order the blobs are written) to `out`.
pub(crate) fn encode<R: Record>(out: &mut Vec<u8>, entries: impl ExactSizeIterator<Item = (R, usize)>) {
    let count = entries.len();
    put_u32(out, count);
    let string_count_at = out.len();
    put_u32(out, 0);
    let records_at = out.len();
    out.resize(records_at + count * RECORD_LEN, 0);
    let mut ends = Vec::new();
    let mut text = Zeroizing::new(Vec::new());
    let mut blob_offset = 0u64;
    for (i, (e, blob_len)) in entries.enumerate() {
        let first_string = ends.len();
        // At most 65,535 hosts or tags are indexed per item: more would not fit the
        // record, and no real item comes near (the rest stay in the item).
        let (host_count, tag_count) = (e.hosts().take(CAP).count(), e.tags().take(CAP).count());
        let strings =
            [e.name(), e.username()].into_iter().chain(e.hosts().take(CAP)).chain(e.tags().take(CAP));
        for s in strings {
            text.extend_from_slice(s.as_bytes());
            ends.push(u32_of(text.len()));
        }
        let r = &mut out[records_at + i * RECORD_LEN..][..RECORD_LEN];
        r[0..16].copy_from_slice(e.item_id().as_bytes());
        r[16..48].copy_from_slice(&e.blob_hash());
        r[48..56].copy_from_slice(&blob_offset.to_le_bytes());
        r[56..60].copy_from_slice(&u32_of(blob_len).to_le_bytes());
        r[60..68].copy_from_slice(&e.updated().to_le_bytes());
        r[68] = kind_code(e.kind());
        r[69] = e.flags();
        r[70..72].copy_from_slice(&u16_of(host_count).to_le_bytes());
        r[72..74].copy_from_slice(&u16_of(tag_count).to_le_bytes());
        r[76..80].copy_from_slice(&u32_of(first_string).to_le_bytes());
        blob_offset += blob_len as u64;
    }
    out[string_count_at..][..4].copy_from_slice(&u32_of(ends.len()).to_le_bytes());
    out.reserve(4 * ends.len() + text.len());
    for end in ends {
        out.extend_from_slice(&end.to_le_bytes());
    }
    out.extend_from_slice(&text);
}

const CAP: usize = u16::MAX as usize;

fn u32_of(n: usize) -> u32 {
    // The sealed state is bounded far below 4 GiB (file::MAX_STATE), and a blob by MAX_BLOB.
    u32::try_from(n).expect("index lengths fit in u32")
}

fn u16_of(n: usize) -> u16 {
    u16::try_from(n).expect("capped to u16")
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32_of(n).to_le_bytes());
}

fn kind_code(kind: ItemKind) -> u8 {
    match kind {
        ItemKind::Login => 0,
        ItemKind::Note => 1,
        ItemKind::Card => 2,
        ItemKind::TotpOnly => 3,
        ItemKind::SshKey => 4,
    }
}

fn kind_of(code: u8) -> Option<ItemKind> {
    Some(match code {
        0 => ItemKind::Login,
        1 => ItemKind::Note,
        2 => ItemKind::Card,
        3 => ItemKind::TotpOnly,
        4 => ItemKind::SshKey,
        _ => return None,
    })
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn u16_at(record: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([record[at], record[at + 1]]))
}

/// The number of strings a record owns.
fn string_count(record: &[u8]) -> usize {
    2 + u16_at(record, 70) + u16_at(record, 72)
}

/// A parsed index, over the decrypted plaintext that holds it.
pub(crate) struct IndexTable {
    plain: Zeroizing<Vec<u8>>,
    count: usize,
    records_at: usize,
    ends_at: usize,
    text: Range<usize>,
}

impl IndexTable {
    /// Checks the index that starts at `at` in `plain` and runs to its end.
    pub(crate) fn parse(plain: Zeroizing<Vec<u8>>, at: usize) -> Result<IndexTable, VaultError> {
        let bad = |what: &str| VaultError::Corrupt(format!("the search index is malformed ({what})"));
        let count = read_u32(&plain, at).ok_or_else(|| bad("count"))? as usize;
        let strings = read_u32(&plain, at + 4).ok_or_else(|| bad("count"))? as usize;
        let records_at = at + 8;
        let ends_at = count
            .checked_mul(RECORD_LEN)
            .and_then(|n| n.checked_add(records_at))
            .ok_or_else(|| bad("count"))?;
        let text_at = strings
            .checked_mul(4)
            .and_then(|n| n.checked_add(ends_at))
            .filter(|&end| end <= plain.len())
            .ok_or_else(|| bad("count"))?;
        let text = std::str::from_utf8(&plain[text_at..]).map_err(|_| bad("UTF-8"))?;
        let mut previous_end = 0;
        for j in 0..strings {
            let end = read_u32(&plain, ends_at + 4 * j).expect("within the input") as usize;
            if end < previous_end || !text.is_char_boundary(end) {
                return Err(bad("string ends"));
            }
            previous_end = end;
        }
        if previous_end != text.len() {
            return Err(bad("trailing text"));
        }
        let table = IndexTable { count, records_at, ends_at, text: text_at..plain.len(), plain };
        let mut expected = 0usize;
        let mut previous: Option<&[u8]> = None;
        for i in 0..count {
            let r = table.record(i);
            if previous.is_some_and(|p| p >= &r[0..16]) {
                return Err(bad("ids out of order"));
            }
            previous = Some(&r[0..16]);
            if kind_of(r[68]).is_none() || r[69] & !(DELETED | ROTATION_PENDING | HAS_TOTP | TRASHED) != 0 {
                return Err(bad("kind or flags"));
            }
            if read_u32(r, 76) != Some(u32_of(expected)) {
                return Err(bad("first string"));
            }
            expected += string_count(r);
        }
        if expected != strings {
            return Err(bad("string count"));
        }
        Ok(table)
    }

    /// The number of entries, tombstones included.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// The decrypted plaintext the index lies in.
    pub(crate) fn plain(&self) -> &[u8] {
        &self.plain
    }

    fn record(&self, i: usize) -> &[u8] {
        &self.plain[self.records_at + i * RECORD_LEN..][..RECORD_LEN]
    }

    /// The `i`-th entry in id order.
    pub(crate) fn get(&self, i: usize) -> IndexRecordRef<'_> {
        IndexRecordRef { table: self, record: self.record(i) }
    }

    /// The bytes of the `j`-th string.
    fn string_bytes(&self, j: usize) -> &[u8] {
        let end = |j: usize| read_u32(&self.plain, self.ends_at + 4 * j).unwrap_or(0) as usize;
        let start = if j == 0 { 0 } else { end(j - 1) };
        self.plain[self.text.clone()].get(start..end(j)).unwrap_or_default()
    }

    /// The `j`-th string (checked by `parse`).
    fn string(&self, j: usize) -> &str {
        std::str::from_utf8(self.string_bytes(j)).unwrap_or_default()
    }

    /// Every entry in id order, tombstones included.
    pub(crate) fn iter(&self) -> impl Iterator<Item = IndexRecordRef<'_>> + Clone {
        (0..self.count).map(|i| self.get(i))
    }

    /// The entry of `id`, tombstone or not.
    pub(crate) fn find_id(&self, id: &ItemId) -> Option<IndexRecordRef<'_>> {
        self.position(id).map(|i| self.get(i))
    }

    /// Where `id` is in id order.
    pub(crate) fn position(&self, id: &ItemId) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.record(mid)[0..16].cmp(id.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

/// One entry of the vault's index table (`IndexTable`), read in place.
#[derive(Clone, Copy)]
pub struct IndexRecordRef<'a> {
    table: &'a IndexTable,
    record: &'a [u8],
}

impl<'a> IndexRecordRef<'a> {
    /// This entry's strings: name, user name, hosts, tags.
    fn strings(self) -> impl Iterator<Item = &'a str> {
        let first = read_u32(self.record, 76).unwrap_or(0) as usize;
        (first..first + string_count(self.record)).map(move |j| self.table.string(j))
    }

    /// SHA-256 of the item's blob.
    pub fn blob_hash(self) -> [u8; 32] {
        self.record[16..48].try_into().expect("32 bytes")
    }

    /// Where the item's blob lies, from the first blob of the file.
    pub fn blob(self) -> BlobSpan {
        BlobSpan {
            offset: u64::from_le_bytes(self.record[48..56].try_into().expect("8 bytes")),
            len: read_u32(self.record, 56).unwrap_or(0),
        }
    }

    fn flag(self, flag: u8) -> bool {
        self.record[69] & flag != 0
    }

    /// The item's kind.
    pub fn kind(self) -> ItemKind {
        Record::kind(&self)
    }

    /// The owned form, as the unlocked vault keeps it.
    pub fn to_entry(self) -> IndexRecord {
        let hosts = u16_at(self.record, 70);
        let mut strings = self.strings().map(str::to_owned);
        IndexRecord {
            id: self.record[0..16].try_into().expect("16 bytes"),
            blob_hash: self.blob_hash(),
            kind: Record::kind(&self),
            name: strings.next().unwrap_or_default(),
            username: strings.next().unwrap_or_default(),
            hosts: strings.by_ref().take(hosts).collect(),
            tags: strings.collect(),
            deleted: self.flag(DELETED),
            trashed: self.flag(TRASHED),
            rotation_pending: self.flag(ROTATION_PENDING),
            has_totp: self.flag(HAS_TOTP),
            updated: Record::updated(&self),
        }
    }
}

impl SearchFields for IndexRecordRef<'_> {
    fn item_id(&self) -> ItemId {
        ItemId(self.record[0..16].try_into().expect("16 bytes"))
    }

    fn name(&self) -> &str {
        self.strings().next().unwrap_or_default()
    }

    fn username(&self) -> &str {
        self.strings().nth(1).unwrap_or_default()
    }

    fn hosts(&self) -> impl Iterator<Item = &str> {
        self.strings().skip(2).take(u16_at(self.record, 70))
    }

    fn tags(&self) -> impl Iterator<Item = &str> {
        self.strings().skip(2 + u16_at(self.record, 70))
    }

    fn deleted(&self) -> bool {
        self.flag(DELETED)
    }

    fn trashed(&self) -> bool {
        self.flag(TRASHED)
    }

    fn name_is_exactly(&self, name: &str) -> bool {
        let first = read_u32(self.record, 76).unwrap_or(0) as usize;
        self.table.string_bytes(first) == name.as_bytes()
    }

    /// `find` compares every live name with the query: compared as bytes where they
    /// lie, without a UTF-8 check each (ASCII case folding never changes other bytes).
    fn name_is(&self, name: &str) -> bool {
        let first = read_u32(self.record, 76).unwrap_or(0) as usize;
        self.table.string_bytes(first).eq_ignore_ascii_case(name.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u8, name: &str, hosts: &[&str], tags: &[&str]) -> IndexRecord {
        IndexRecord {
            id: [id; 16],
            blob_hash: [id ^ 0x55; 32],
            kind: kind_of(id % 5).unwrap(),
            name: name.into(),
            username: format!("user{id}"),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            deleted: id.is_multiple_of(3),
            trashed: id.is_multiple_of(4),
            rotation_pending: id.is_multiple_of(2),
            has_totp: id.is_multiple_of(5),
            updated: -1 - i64::from(id) * 1_000_000_007,
        }
    }

    fn sample() -> (Vec<IndexRecord>, Vec<usize>) {
        let entries = vec![
            entry(1, "GitHub", &["github.com"], &[]),
            entry(2, "", &[], &[]),
            entry(3, "Bänk ✓", &["bank.example", "login.bank.example"], &["money", "family"]),
            entry(9, "x", &[], &["t"]),
        ];
        (entries, vec![301, 333, 1, 4096])
    }

    fn encoded(entries: &[IndexRecord], lens: &[usize]) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(b"prefix".to_vec());
        encode(&mut out, entries.iter().zip(lens.iter().copied()));
        out
    }

    #[test]
    fn entries_read_in_place_are_the_entries_written() {
        let (entries, lens) = sample();
        let table = IndexTable::parse(encoded(&entries, &lens), 6).unwrap();
        let read: Vec<IndexRecord> = table.iter().map(IndexRecordRef::to_entry).collect();
        assert!(read == entries);
        let spans: Vec<BlobSpan> = table.iter().map(IndexRecordRef::blob).collect();
        let offsets = [0, 301, 634, 635];
        for ((span, offset), len) in spans.iter().zip(offsets).zip(&lens) {
            assert_eq!(*span, BlobSpan { offset, len: *len as u32 });
        }
        let bank = table.find_id(&ItemId([3; 16])).unwrap();
        assert_eq!(bank.name(), "Bänk ✓");
        assert_eq!(bank.username(), "user3");
        assert!(bank.hosts().eq(["bank.example", "login.bank.example"]));
        assert!(bank.tags().eq(["money", "family"]));
        assert!(bank.deleted() && !bank.flag(HAS_TOTP));
        assert!(bank.matches("family") && bank.matches("login.bank") && !bank.matches("github"));
        // Names compare as `str::eq_ignore_ascii_case` does: ASCII case only.
        for (query, expected) in [("bänk ✓", true), ("BäNK ✓", true), ("BÄNK ✓", false), ("Bänk", false)]
        {
            assert_eq!(bank.name_is(query), expected, "{query}");
            assert_eq!(bank.name_is(query), bank.name().eq_ignore_ascii_case(query), "{query}");
        }
        assert!(table.find_id(&ItemId([4; 16])).is_none());
        assert!(table.find_id(&ItemId([0; 16])).is_none() && table.find_id(&ItemId([0xff; 16])).is_none());
        let empty = IndexTable::parse(encoded(&[], &[]), 6).unwrap();
        assert_eq!(empty.iter().count(), 0);
        assert!(empty.find_id(&ItemId([1; 16])).is_none());
    }

    #[test]
    fn a_malformed_index_is_refused_not_trusted() {
        let (entries, lens) = sample();
        let good = encoded(&entries, &lens);
        for len in 6..good.len() {
            let cut = Zeroizing::new(good[..len].to_vec());
            assert!(IndexTable::parse(cut, 6).is_err(), "truncated to {len}");
        }
        let mut longer = good.to_vec();
        longer.push(0);
        assert!(IndexTable::parse(Zeroizing::new(longer), 6).is_err(), "trailing byte");
        let record = |i: usize| 6 + 8 + i * RECORD_LEN;
        // The error names what is wrong, so each case checks the check it means to.
        let corrupt = |at: usize, value: u8, what: &str| {
            let mut bad = good.to_vec();
            bad[at] = value;
            match IndexTable::parse(Zeroizing::new(bad), 6) {
                Err(VaultError::Corrupt(msg)) => msg.contains(what),
                _ => false,
            }
        };
        assert!(corrupt(record(1), 0, "ids out of order"));
        let mut repeated = good.to_vec();
        repeated[record(3)..record(3) + 16].copy_from_slice(&[3; 16]);
        assert!(IndexTable::parse(Zeroizing::new(repeated), 6).is_err(), "ids must be unique");
        assert!(corrupt(record(0) + 68, 5, "kind or flags"));
        assert!(corrupt(record(0) + 69, 16, "kind or flags"));
        assert!(
            corrupt(record(2) + 70, 1, "first string"),
            "a host count that takes the next record's strings"
        );
        assert!(corrupt(record(1) + 76, 1, "first string"));
        // record(4) is where the string ends start; the text follows them.
        let strings = u32::from_le_bytes(good[10..14].try_into().unwrap()) as usize;
        let text_at = record(4) + 4 * strings;
        assert_eq!(&good[text_at..text_at + 6], b"GitHub");
        assert!(corrupt(text_at, 0xff, "UTF-8"));
        // The strings: "GitHub" "user1" "github.com" "" "user2" "Bänk ✓" …, ending at
        // 6, 11, 21, 21, 26, 35 …
        assert!(corrupt(record(4) + 4, 5, "string ends"), "a string ending before the previous one");
        assert!(corrupt(record(4) + 20, 28, "string ends"), "a string ending inside \"ä\"");
        assert!(corrupt(6, 0xff, "count"), "a count beyond the input");
        assert!(corrupt(10, 0xff, "count"), "a string count beyond the input");
        assert!(corrupt(record(3) + 72, 0, "string count"), "strings that no record owns");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// Whatever the bytes, parsing never panics, and neither does reading every
        /// entry of an index that parsed: the checks of `parse` cover every index
        /// the accessors use.
        #[test]
        fn damaged_indexes_never_panic(
            flips in proptest::collection::vec((0usize..4096, 0u8..=255), 0..8),
            cut in 0usize..4096,
        ) {
            let (entries, lens) = sample();
            let mut bytes = encoded(&entries, &lens).to_vec();
            for (at, value) in flips {
                let len = bytes.len();
                bytes[6 + at % (len - 6)] = value;
            }
            bytes.truncate(6 + cut % (bytes.len() - 5));
            if let Ok(table) = IndexTable::parse(Zeroizing::new(bytes), 6) {
                for e in table.iter() {
                    let owned = e.to_entry();
                    proptest::prop_assert!(e.name_is(&owned.name));
                    proptest::prop_assert_eq!(table.find_id(&e.item_id()).map(|f| f.blob()), Some(e.blob()));
                    let _ = (e.matches("x"), Record::flags(&e), Record::updated(&e));
                }
            }
        }
    }
}

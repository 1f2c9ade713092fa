//! Breached-password lookups: the SHA-1 a lookup is keyed by, the [`PwnedSource`]
//! trait, and [`PwnedFile`], a local copy of the Pwned Passwords list searched in
//! place (its doc comment describes the file format and the search).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use data_encoding::HEXUPPER;
use sha1::{Digest, Sha1};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The SHA-1 of a password, as Pwned Passwords indexes them.
///
/// It is as sensitive as the password (unsalted SHA-1 is cheap to attack), so it
/// zeroizes on drop and its `Debug` shows only the five-digit prefix that the range
/// API sends anyway.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Zeroize, ZeroizeOnDrop)]
pub struct PwnedHash(pub(super) [u8; 20]);

impl PwnedHash {
    /// Hashes a password (its UTF-8 bytes, as the list was built).
    pub fn of(password: &str) -> Self {
        PwnedHash(Sha1::digest(password.as_bytes()).into())
    }

    /// All 40 hex digits, upper case.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(HEXUPPER.encode(&self.0))
    }

    /// The first five hex digits, upper case: all the range API ever learns.
    pub fn prefix(&self) -> String {
        self.to_hex()[..5].to_owned()
    }

    /// The remaining 35 hex digits, upper case, which the range API answers with.
    pub fn suffix(&self) -> Zeroizing<String> {
        Zeroizing::new(self.to_hex()[5..].to_owned())
    }
}

impl std::fmt::Debug for PwnedHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PwnedHash({}…)", self.prefix())
    }
}

/// Somewhere to look up breached passwords by SHA-1: a local file
/// ([`PwnedFile`]) or the Have I Been Pwned range API (in the CLI).
pub trait PwnedSource {
    /// Why a lookup failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// How many times each of `hashes` was seen in breaches, 0 for never, in the
    /// same order. Given all hashes at once, a source can batch: the range API
    /// sends one request per distinct prefix.
    ///
    /// # Errors
    ///
    /// When the source cannot answer (I/O, network, malformed data); then no
    /// count is returned, rather than wrong zeros.
    fn counts(&mut self, hashes: &[PwnedHash]) -> Result<Vec<u64>, Self::Error>;
}

/// Why a [`PwnedFile`] could not be searched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PwnedFileError {
    /// The file could not be opened or read.
    #[error("cannot read the Pwned Passwords file {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is empty.
    #[error("the Pwned Passwords file {path} is empty")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A line is not `HASH:COUNT` with a 40-digit hex SHA-1.
    #[error(
        "the Pwned Passwords file {path} is malformed at byte {offset}: {problem}; expected the \
         SHA-1 version ordered by hash, one HASH:COUNT per line"
    )]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Byte offset of the start of the bad line.
        offset: u64,
        /// What is wrong with it.
        problem: &'static str,
    },
}

/// The longest line accepted: a hash, a colon, a 20-digit count and `\r\n` is 63
/// bytes. The bound keeps a corrupt file (or the wrong file) from making one probe
/// read without end.
const MAX_LINE: u64 = 128;

/// A local, sorted copy of the Pwned Passwords SHA-1 list, searched in place.
///
/// # The file format
///
/// The "SHA-1, ordered by hash" download of Pwned Passwords (and the output of the
/// official downloader) is one line per hash, `HASH:COUNT`, where `HASH` is 40
/// upper-case hex digits and lines are sorted by it; line ends may be `\n` or
/// `\r\n`, and the last line may lack one. Lower-case hex is accepted too: digits
/// sort before letters in both cases, so such a file sorts the same way. The NTLM
/// variant and the older "ordered by prevalence" files do not work (the first is
/// rejected as malformed; the second cannot be binary-searched).
///
/// # The search
///
/// The file is tens of gigabytes, so it is never read whole. [`PwnedFile::count`]
/// binary-searches *byte offsets*: it seeks to an offset, skips to the start of the
/// next line (re-synchronising on `\n`), reads that one line and compares its hash.
/// A lookup reads about 2·log₂(file size) short lines — some 70 for the full list —
/// and memory use does not depend on the file's size.
pub struct PwnedFile {
    path: PathBuf,
    reader: BufReader<File>,
    len: u64,
    /// Scratch space for one line, reused across probes.
    line: Vec<u8>,
}

impl std::fmt::Debug for PwnedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PwnedFile").field("path", &self.path).field("len", &self.len).finish()
    }
}

impl PwnedFile {
    /// Opens the file and checks that its first line has the expected form, so the
    /// wrong file fails at once rather than on some lookup.
    ///
    /// # Errors
    ///
    /// [`PwnedFileError::Io`], [`PwnedFileError::Empty`] or
    /// [`PwnedFileError::Malformed`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, PwnedFileError> {
        let path = path.as_ref().to_owned();
        let io = |source| PwnedFileError::Io { path: path.clone(), source };
        let file = File::open(&path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len == 0 {
            return Err(PwnedFileError::Empty { path });
        }
        // Small buffer: every probe seeks, which discards it, and reads one line.
        let reader = BufReader::with_capacity(256, file);
        let mut pwned = PwnedFile { path, reader, len, line: Vec::with_capacity(MAX_LINE as usize) };
        if let Some(start) = pwned.line_at_or_after(0)? {
            pwned.parse(start)?;
        }
        Ok(pwned)
    }

    /// How many times `hash` was seen, 0 when it is not in the file.
    ///
    /// # Errors
    ///
    /// [`PwnedFileError::Io`], or [`PwnedFileError::Malformed`] for a bad line met
    /// on the way (the answer would not be trustworthy).
    pub fn count(&mut self, hash: &PwnedHash) -> Result<u64, PwnedFileError> {
        let target = hash.to_hex();
        let target = target.as_bytes();
        // Find the smallest offset p whose next line start holds a hash >= target
        // (or is the end of the file). "The line at or after p" only moves forward
        // as p grows and the lines are sorted, so that predicate is monotone in p.
        let (mut lo, mut hi) = (0u64, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.line_at_or_after(mid)? {
                None => hi = mid,
                Some(start) => {
                    let (line_hash, _) = self.parse(start)?;
                    if line_hash.as_slice() < target {
                        // Every offset up to `start` leads to this same line.
                        lo = start + 1;
                    } else {
                        hi = mid;
                    }
                }
            }
        }
        match self.line_at_or_after(lo)? {
            Some(start) => {
                let (line_hash, count) = self.parse(start)?;
                Ok(if line_hash.as_slice() == target { count } else { 0 })
            }
            None => Ok(0),
        }
    }

    /// Reads into `self.line` the first line that starts at or after `pos`, and
    /// returns its start; `None` at the end of the file.
    fn line_at_or_after(&mut self, pos: u64) -> Result<Option<u64>, PwnedFileError> {
        let mut start = pos;
        if pos > 0 {
            // The line that starts at `pos` begins right after the `\n` at pos - 1,
            // so begin there and skip through the first newline.
            self.seek(pos - 1)?;
            let skipped = self.read_line(pos - 1)?;
            if self.line.last() != Some(&b'\n') {
                return Ok(None); // the last line, without a line end
            }
            start = pos - 1 + skipped;
        } else {
            self.seek(0)?;
        }
        if start >= self.len {
            return Ok(None);
        }
        self.read_line(start)?;
        Ok(Some(start))
    }

    fn seek(&mut self, pos: u64) -> Result<(), PwnedFileError> {
        self.reader
            .seek(SeekFrom::Start(pos))
            .map(drop)
            .map_err(|source| PwnedFileError::Io { path: self.path.clone(), source })
    }

    /// Reads up to and including the next `\n` into `self.line`; returns the number
    /// of bytes read.
    fn read_line(&mut self, offset: u64) -> Result<u64, PwnedFileError> {
        self.line.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut self.line)
            .map_err(|source| PwnedFileError::Io { path: self.path.clone(), source })?;
        if n as u64 == MAX_LINE && self.line.last() != Some(&b'\n') {
            return Err(self.malformed(offset, "a line is too long"));
        }
        Ok(n as u64)
    }

    /// Parses `self.line` (read from `start`) as `HASH:COUNT`; the hash comes back
    /// upper-cased.
    fn parse(&self, start: u64) -> Result<([u8; 40], u64), PwnedFileError> {
        let line = self.line.trim_ascii_end();
        let Some((hash, count)) = line.split_at_checked(40) else {
            return Err(self.malformed(start, "the hash is not 40 hex digits"));
        };
        if !hash.iter().all(u8::is_ascii_hexdigit) {
            return Err(self.malformed(start, "the hash is not 40 hex digits"));
        }
        let count = count
            .strip_prefix(b":")
            .filter(|c| !c.is_empty() && c.iter().all(u8::is_ascii_digit))
            .and_then(|c| std::str::from_utf8(c).ok())
            .and_then(|c| c.parse::<u64>().ok())
            .ok_or_else(|| self.malformed(start, "the hash is not followed by :COUNT"))?;
        let mut upper = [0u8; 40];
        upper.copy_from_slice(hash);
        upper.make_ascii_uppercase();
        Ok((upper, count))
    }

    fn malformed(&self, offset: u64, problem: &'static str) -> PwnedFileError {
        PwnedFileError::Malformed { path: self.path.clone(), offset, problem }
    }
}

impl PwnedSource for PwnedFile {
    type Error = PwnedFileError;

    fn counts(&mut self, hashes: &[PwnedHash]) -> Result<Vec<u64>, PwnedFileError> {
        hashes.iter().map(|h| self.count(h)).collect()
    }
}

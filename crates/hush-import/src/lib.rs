//! hush-import: importing into hush from Bitwarden, KeePassXC, 1Password, browsers and pass,
//! and hush's own plaintext formats (docs/import-export.md). Parsing is one module per format;
//! `entry` builds items the same way for all of them; `redact` makes every
//! error message safe to show (no value of the input is ever quoted); `duplicates` decides what
//! a repeated import must skip.
//!
//! # Parsing
//!
//! Every parser is a pure function from an export's bytes to an [`Import`]: the items
//! it found and [`Warning`]s about what could not be carried over (an invalid TOTP
//! secret, an entry in the trash). A malformed input is an [`ImportError`] that names
//! the CSV line or the JSON entry, and yields no item at all: callers parse the whole
//! input first and write the vault once, so an import is all or nothing.
//!
//! Only `pass` reads more than the bytes it is given: it walks a folder and decrypts
//! each file through the [`pass::Decrypt`] trait (the real one runs `gpg`).
//!
//! [`plan`] decides which imported items duplicate items already in the vault (or an
//! earlier item of the same import); see [`is_duplicate`] for the rule.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::PathBuf;

use hush_vault::Item;

pub mod bitwarden;
pub mod browser;
mod csv_input;
mod duplicates;
mod entry;
pub mod hush_json;
pub mod keepassxc;
pub mod onepassword;
pub mod pass;
mod redact;

pub use crate::duplicates::{Duplicate, Plan, is_duplicate, plan};
pub(crate) use crate::entry::{
    apply_totp, item_name, label, login_or_note, push_field, push_tag, rfc3339, set_times, to_rfc3339,
    url_list,
};
pub(crate) use crate::redact::{entry_error, excerpt, json_error};

/// What a parser found.
#[derive(Debug, Default)]
pub struct Import {
    /// The items, in the order of the input.
    pub items: Vec<Item>,
    /// What could not be imported as it was; the rest of each entry was imported.
    pub warnings: Vec<Warning>,
}

/// Something of one entry that was not imported (or not as it was).
///
/// Neither part ever contains a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Which entry: `line 7 "GitHub"`, `items[3] "GitHub"`, or a pass entry's path.
    pub entry: String,
    /// What happened to it.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.entry, self.message)
    }
}

/// Why an input could not be imported. Nothing of it is imported.
///
/// Messages name the line, record or entry and never contain a secret value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The input is empty (not even a CSV header).
    #[error("the file is empty")]
    Empty,
    /// A column the format always has is missing from the CSV header.
    #[error("the CSV header has no {column:?} column; is this really a {format} export?")]
    MissingColumn {
        /// The format that was expected.
        format: &'static str,
        /// The column's name as the format spells it.
        column: &'static str,
    },
    /// A CSV record could not be read.
    #[error("line {line} (record {record}): {reason}")]
    Record {
        /// The line the record starts on (1-based; the header is line 1).
        line: u64,
        /// The record's number (1-based, not counting the header).
        record: u64,
        /// What is wrong.
        reason: String,
    },
    /// The JSON is not well-formed, or its top level has the wrong shape.
    #[error("invalid JSON at line {line}, column {column}: {reason}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON parser objected to (string values are elided).
        reason: String,
    },
    /// One entry of the input is invalid.
    #[error("{entry}: {reason}")]
    Entry {
        /// Which entry (`items[3] "GitHub"`).
        entry: String,
        /// What is wrong.
        reason: String,
    },
    /// A Bitwarden export that is encrypted.
    #[error(
        "this Bitwarden export is encrypted, and hush cannot decrypt Bitwarden's formats. In \
         Bitwarden, export again with the file format \".json\" (not \".json (Encrypted)\"), \
         import that file, then delete it"
    )]
    Encrypted,
    /// The input is not the format it was said to be.
    #[error("{0}")]
    WrongFormat(String),
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A pass entry could not be decrypted.
    #[error("cannot decrypt {path}: {reason}")]
    Decrypt {
        /// The `.gpg` file.
        path: PathBuf,
        /// What gpg said.
        reason: String,
    },
}

//! The vault's error type. Messages say what happened and what to do next.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong with the local vault.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum VaultError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// There is no vault yet.
    #[error("no vault at {0}; create one with `hush init` or fetch yours with `hush login`")]
    NotFound(PathBuf),
    /// `init` found an existing vault.
    #[error("a vault already exists at {0}; refusing to overwrite it")]
    AlreadyExists(PathBuf),
    /// The file is not a vault or is damaged; it is left untouched. Said of bytes whose
    /// file is not known here; [`crate::profile::in_vault_file`] turns it into
    /// [`VaultError::Damaged`], which names the file and how to recover.
    #[error("the vault file is damaged ({0}); it was not modified. Restore vault.hush.bak if this persists")]
    Corrupt(String),
    /// The vault file at `path` is damaged: it does not parse, or its header does not
    /// match its checksum. It was left as it was.
    #[error("{} is damaged ({detail}); it was not modified. {recovery}", path.display())]
    Damaged {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong, without any content of the file.
        detail: String,
        /// What the user can do.
        recovery: Recovery,
    },
    /// The vault file at `path` parses but does not authenticate under its key: it was
    /// changed outside hush, or damaged where no checksum can tell (docs/vault-format.md,
    /// "Damage and tampering"). It was left as it was.
    #[error(
        "{} failed to authenticate: it was changed outside hush, or is damaged; it was not modified. {recovery}",
        path.display()
    )]
    Unauthentic {
        /// The file.
        path: PathBuf,
        /// What the user can do.
        recovery: Recovery,
    },
    /// An item would be sealed larger than hush creates ([`crate::vault_file::MAX_ITEM_BLOB`]).
    #[error(
        "the item {name:?} would take {size} bytes sealed, more than the {limit} bytes ({}) one item may \
         take (the sync server's limit, docs/server.md \"Limits\"); nothing was written. Shorten its notes \
         or fields",
        kib(*limit)
    )]
    ItemTooLarge {
        /// The item's name.
        name: String,
        /// Its sealed size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A file to attach is larger than allowed (`[files] max_size_mib` in config.toml).
    #[error(
        "{name} is larger than {} MiB, the most one attached file may be; nothing was added. Raise \
         [files] max_size_mib in config.toml if you mean it (docs/attachments.md)",
        limit >> 20
    )]
    FileTooLarge {
        /// The file's name.
        name: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A record of a newer format than this hush understands.
    #[error("the vault uses format version {0}, which this hush does not know; upgrade hush")]
    UnsupportedVersion(u8),
    /// The keyset did not open: wrong master password (or account key).
    #[error("wrong master password")]
    WrongPassword,
    /// An item or the sealed state failed to authenticate under the right key.
    #[error(
        "the vault failed to authenticate: it was modified outside hush, or is corrupt; it was not changed"
    )]
    Tampered,
    /// The account key file is missing or damaged.
    #[error("{0}")]
    AccountKey(String),
    /// The KDF refused its parameters.
    #[error(transparent)]
    Kdf(#[from] hush_crypto::KdfError),
}

/// What to do about a damaged or unauthentic `vault.hush`, from what was found next to
/// it (docs/vault-format.md, "Recovering").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// The backup is there and reads as a whole vault file.
    Backup(PathBuf),
    /// The backup is there but is damaged too.
    BackupDamaged {
        /// The backup.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// There is no backup (a vault never changed since `hush init`, or it was removed).
    NoBackup(PathBuf),
}

const RECOVERING: &str = "see docs/vault-format.md, \"Recovering\"";

impl std::fmt::Display for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recovery::Backup(bak) => {
                write!(f, "Your previous version is in {}; {RECOVERING}.", bak.display())
            }
            Recovery::BackupDamaged { path, detail } => write!(
                f,
                "{} is damaged too ({detail}); restore from your sync server or an encrypted export: \
                 {RECOVERING}.",
                path.display()
            ),
            Recovery::NoBackup(bak) => write!(
                f,
                "There is no {} to go back to; restore from your sync server or an encrypted export: \
                 {RECOVERING}.",
                bak.display()
            ),
        }
    }
}

/// `n` bytes in KiB, with one decimal unless whole.
fn kib(n: usize) -> String {
    if n.is_multiple_of(1024) { format!("{} KiB", n / 1024) } else { format!("{:.1} KiB", n as f64 / 1024.0) }
}

impl VaultError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> VaultError {
        let path = path.into();
        move |source| VaultError::Io { path, source }
    }
}

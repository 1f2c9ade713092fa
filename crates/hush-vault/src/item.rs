//! The item model: everything a user stores about one account or secret.
//!
//! All of it — kind, name, URLs, TOTP secret, history, timestamps, even whether it is
//! deleted — lives inside the encrypted item plaintext (docs/spec/crypto-v2.md, "Items"). Nothing here is
//! visible to the server or in the vault file.

use hush_crypto::FileId;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use hush_generate::PasswordPolicy;

/// What an item is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Zeroize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    /// A site or service login: user name, password, URLs, maybe TOTP.
    #[default]
    Login,
    /// A secure note.
    Note,
    /// A payment card.
    Card,
    /// A TOTP seed alone.
    TotpOnly,
    /// An SSH private key ([`Item::ssh_key`]), served by `hush ssh-agent`. New in item
    /// format version 2 (docs/vault-format.md, "Item format versions").
    SshKey,
}

impl ItemKind {
    /// The name users type and see.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Login => "login",
            ItemKind::Note => "note",
            ItemKind::Card => "card",
            ItemKind::TotpOnly => "totp-only",
            ItemKind::SshKey => "ssh-key",
        }
    }
}

impl std::str::FromStr for ItemKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "login" => Ok(ItemKind::Login),
            "note" => Ok(ItemKind::Note),
            "card" => Ok(ItemKind::Card),
            "totp-only" | "totp" => Ok(ItemKind::TotpOnly),
            "ssh-key" => Ok(ItemKind::SshKey),
            _ => Err(format!("unknown kind {s:?}; use login, note, card, totp-only or ssh-key")),
        }
    }
}

/// A user-defined field, e.g. a PIN or a security question.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct CustomField {
    /// The field's name (unique within an item).
    pub name: String,
    /// Its value.
    pub value: String,
    /// Whether the value is secret: hidden in views like the password.
    pub hidden: bool,
}

/// A previous password and when it stopped being current.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct PasswordChange {
    /// The password that was replaced.
    pub password: String,
    /// Unix seconds when it was replaced.
    pub replaced_at: i64,
}

/// A value that lost a concurrent edit during a merge, kept so no edit is ever lost
/// (docs/sync.md, "Merge rules").
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Conflict {
    /// Which field the value belonged to.
    pub field: String,
    /// The value that is no longer current.
    pub value: String,
    /// Unix seconds of the merge.
    pub at: i64,
}

/// A file attached to an item: everything needed to read it and to check it
/// (docs/spec/crypto-v2.md, "Attachments"). The content lives in sealed chunks, in the profile's
/// `files/` folder and on the sync server; the item holds the key that opens them and the hash of
/// each, so the item's own authentication (and through it the manifest's) covers the file.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Attachment {
    /// The file's random id: the name of its chunks, bound into their AAD.
    #[zeroize(skip)]
    pub file_id: FileId,
    /// The file name it was added under (no folder), unique within its item but after a merge.
    pub name: String,
    /// The file's size in bytes.
    pub size: u64,
    /// The file key (FK) that seals its chunks.
    pub key: [u8; 32],
    /// SHA-256 of every sealed chunk, in order: one per chunk.
    pub chunks: Vec<[u8; 32]>,
    /// Unix seconds when it was added.
    pub added: i64,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("file_id", &self.file_id)
            .field("size", &self.size)
            .field("chunks", &self.chunks.len())
            .finish_non_exhaustive()
    }
}

impl Attachment {
    /// The file key.
    pub fn file_key(&self) -> hush_crypto::FileKey {
        hush_crypto::FileKey::from_bytes(self.key)
    }

    /// Whether the chunk count agrees with the size (crypto-v2.md, "Attachments": `n =
    /// max(1, ceil(size / CHUNK))`). A forged or buggy item that breaks it is refused by readers.
    pub fn is_well_formed(&self) -> bool {
        hush_crypto::chunk_count(self.size).is_some_and(|n| n as usize == self.chunks.len())
    }
}

/// One item's plaintext.
///
/// `Debug` is implemented by hand and shows no secret value.
#[derive(Clone, PartialEq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Item {
    /// What the item is for.
    pub kind: ItemKind,
    /// Display name, e.g. "github".
    pub name: String,
    /// User name or e-mail address for the site.
    pub username: String,
    /// The current password (empty if none).
    pub password: String,
    /// URLs of the site; their host names are searchable.
    pub urls: Vec<String>,
    /// The TOTP seed as a normalised `otpauth://totp/...` URI, if any.
    pub totp: Option<String>,
    /// Free-form notes.
    pub notes: String,
    /// Tags for grouping and search.
    pub tags: Vec<String>,
    /// User-defined fields.
    pub fields: Vec<CustomField>,
    /// Every previous password, oldest first.
    pub history: Vec<PasswordChange>,
    /// Unix seconds of creation.
    pub created: i64,
    /// Unix seconds of the last change.
    pub updated: i64,
    /// Unix seconds when the current password was set (for "old password" audits).
    pub password_changed: i64,
    /// Grows by one with every local edit.
    pub revision: u64,
    /// A tombstone: deleted items stay, so that deletions sync (docs/spec/crypto-v2.md, "Items").
    pub deleted: bool,
    /// Set by `hush breach` until the user confirms the site accepted the new password.
    pub rotation_pending: bool,
    /// Per-item generator settings (e.g. a site that forbids symbols).
    #[zeroize(skip)]
    pub policy: Option<PasswordPolicy>,
    /// Values that lost concurrent edits during merges.
    pub conflicts: Vec<Conflict>,
    /// Unix seconds when the item was moved to the trash (`hush rm`), `None` for an item in
    /// use. A trashed item is still an item, edited and merged like any other (docs/sync.md,
    /// "Merge rules"); [`TRASH_DAYS`] after this time the next write replaces it by its
    /// tombstone. New in item format version 2 (docs/vault-format.md, "Item blobs").
    pub trashed: Option<i64>,
    /// An SSH private key in OpenSSH's own format, unencrypted (`-----BEGIN OPENSSH PRIVATE
    /// KEY-----`): the item's seal is its protection. Set on items of kind
    /// [`ItemKind::SshKey`] by `hush ssh generate` and `hush ssh import`. New in item format
    /// version 2 (docs/vault-format.md, "Item format versions").
    pub ssh_key: Option<String>,
    /// Attached files (docs/attachments.md). New in item format version 2 (docs/vault-format.md,
    /// "Item blobs").
    pub files: Vec<Attachment>,
}

/// How long an item stays in the trash before a write deletes it for good.
pub const TRASH_DAYS: i64 = 30;

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Item")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("revision", &self.revision)
            .field("deleted", &self.deleted)
            .field("trashed", &self.trashed)
            .field("files", &self.files.len())
            .finish_non_exhaustive()
    }
}

impl Item {
    /// A new, empty item of `kind` created at `now` (Unix seconds).
    pub fn new(kind: ItemKind, name: impl Into<String>, now: i64) -> Self {
        Item {
            kind,
            name: name.into(),
            username: String::new(),
            password: String::new(),
            urls: Vec::new(),
            totp: None,
            notes: String::new(),
            tags: Vec::new(),
            fields: Vec::new(),
            history: Vec::new(),
            created: now,
            updated: now,
            password_changed: now,
            revision: 0,
            deleted: false,
            rotation_pending: false,
            policy: None,
            conflicts: Vec::new(),
            trashed: None,
            ssh_key: None,
            files: Vec::new(),
        }
    }

    /// Whether the item has an SSH private key (an empty one counts as none).
    pub fn has_ssh_key(&self) -> bool {
        self.ssh_key.as_deref().is_some_and(|k| !k.is_empty())
    }

    /// Whether the item is in use: neither a tombstone nor in the trash. Only these are listed,
    /// found, audited and exported.
    pub fn is_live(&self) -> bool {
        !self.deleted && self.trashed.is_none()
    }

    /// Whether the item has been in the trash for [`TRASH_DAYS`] or more at `now`.
    pub fn trash_expired(&self, now: i64) -> bool {
        !self.deleted && self.trashed.is_some_and(|t| now.saturating_sub(t) >= TRASH_DAYS * 86_400)
    }

    /// Whether the item has a TOTP secret (an empty one counts as none).
    pub fn has_totp(&self) -> bool {
        self.totp.as_deref().is_some_and(|t| !t.is_empty())
    }

    /// `self` after a local edit by `edit` at `now`: the revision grows by one.
    pub fn edited(mut self, now: i64, edit: impl FnOnce(&mut Item)) -> Item {
        edit(&mut self);
        self.revision += 1;
        self.updated = now;
        self
    }

    /// The tombstone that replaces this item when it is deleted at `now`; its blob is
    /// indistinguishable from an edit on the server (docs/spec/crypto-v2.md, "Items"). It keeps, encrypted,
    /// only the password history (with the current password in it): if another device
    /// edited the item concurrently, the edit wins and the merge folds this history
    /// in, so no password is ever lost (found by the convergence property test).
    pub fn tombstone(&self, now: i64) -> Item {
        let mut tomb = Item::new(self.kind, String::new(), self.created);
        tomb.history = self.history.clone();
        if !self.password.is_empty() {
            tomb.history.retain(|h| h.password != self.password);
            tomb.history.push(PasswordChange { password: self.password.clone(), replaced_at: now });
        }
        tomb.deleted = true;
        tomb.revision = self.revision + 1;
        tomb.updated = now;
        tomb
    }

    /// Replaces the password, keeping the old one in history. A no-op when unchanged.
    ///
    /// The history holds each previous password once, and never the current one: a password
    /// that becomes current again (`hush history --restore`) leaves the history, and one
    /// replaced again keeps only its latest replacement (issue #10, "History").
    ///
    /// `password_changed` says since when the current password has been in use. A password
    /// that was in the history was in use before, since a moment the history (one entry per
    /// password) no longer knows, so it counts as in use since the item was created: `hush
    /// audit` must not take a restored password for a new one, and `--breaches` must still
    /// find it exposed when a breach leaked it (issue #14; test
    /// `a_leaked_password_restored_from_the_history_is_exposed` in hush-audit).
    pub fn set_password(&mut self, new: String, now: i64) {
        if new == self.password {
            return;
        }
        let before = self.history.len();
        self.history.retain(|h| h.password != new);
        let used_before = self.history.len() != before;
        let old = std::mem::replace(&mut self.password, new);
        if !old.is_empty() {
            self.history.retain(|h| h.password != old);
            self.history.push(PasswordChange { password: old, replaced_at: now });
        }
        self.password_changed = if used_before { self.created.min(now) } else { now };
    }

    /// Makes the `n`-th previous password current (1 is the most recent, as `hush history`
    /// numbers them); the current one goes into the history. `false` when there is no such entry.
    pub fn restore_password(&mut self, n: usize, now: i64) -> bool {
        let Some(at) = n.checked_sub(1).and_then(|k| self.history.len().checked_sub(k + 1)) else {
            return false;
        };
        let password = self.history[at].password.clone();
        self.set_password(password, now);
        true
    }

    /// The host names of the item's URLs (lower case, without `www.`).
    pub fn hosts(&self) -> impl Iterator<Item = String> + '_ {
        self.urls.iter().filter_map(|u| host_of(u))
    }

    /// The attachments whose name is `name`, or whose file id starts with `name` (4 hex digits at
    /// least, as `hush file ls` shows ids): after a merge two files may share a name.
    pub fn find_files(&self, name: &str) -> Vec<&Attachment> {
        let by_name: Vec<&Attachment> = self.files.iter().filter(|f| f.name == name).collect();
        if !by_name.is_empty() {
            return by_name;
        }
        let prefix = name.to_ascii_lowercase();
        if prefix.len() < 4 || !prefix.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Vec::new();
        }
        self.files.iter().filter(|f| f.file_id.to_string().starts_with(&prefix)).collect()
    }

    /// A custom field by name (case-insensitive).
    pub fn field(&self, name: &str) -> Option<&CustomField> {
        self.fields.iter().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Sets a custom field, replacing one of the same name.
    pub fn set_field(&mut self, name: &str, value: String, hidden: bool) {
        match self.fields.iter_mut().find(|f| f.name.eq_ignore_ascii_case(name)) {
            Some(f) => {
                f.value = value;
                f.hidden = hidden;
            }
            None => self.fields.push(CustomField { name: name.to_owned(), value, hidden }),
        }
    }
}

/// An item as format version 1 stored it: every field of [`Item`] but `trashed`, `ssh_key` and `files`, in the same
/// order (bincode is not self-describing, so each format version has its own layout).
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct ItemV1 {
    kind: ItemKind,
    name: String,
    username: String,
    password: String,
    urls: Vec<String>,
    totp: Option<String>,
    notes: String,
    tags: Vec<String>,
    fields: Vec<CustomField>,
    history: Vec<PasswordChange>,
    created: i64,
    updated: i64,
    password_changed: i64,
    revision: u64,
    deleted: bool,
    rotation_pending: bool,
    #[zeroize(skip)]
    policy: Option<PasswordPolicy>,
    conflicts: Vec<Conflict>,
}

impl ItemV1 {
    /// The same item in the current format: not in the trash (version 1 had none). The fields
    /// are moved out, not copied, so no second copy of a secret is left to wipe.
    fn upgrade(mut self) -> Item {
        use std::mem::take;
        Item {
            kind: self.kind,
            name: take(&mut self.name),
            username: take(&mut self.username),
            password: take(&mut self.password),
            urls: take(&mut self.urls),
            totp: take(&mut self.totp),
            notes: take(&mut self.notes),
            tags: take(&mut self.tags),
            fields: take(&mut self.fields),
            history: take(&mut self.history),
            created: self.created,
            updated: self.updated,
            password_changed: self.password_changed,
            revision: self.revision,
            deleted: self.deleted,
            rotation_pending: self.rotation_pending,
            policy: take(&mut self.policy),
            conflicts: take(&mut self.conflicts),
            trashed: None,
            ssh_key: None,
            files: Vec::new(),
        }
    }
}

/// Format version 1 of the item plaintext: no trash, no SSH key.
pub(crate) const ITEM_VERSION_1: u8 = 1;

/// Decodes an item plaintext of any format version this hush knows (docs/vault-format.md, "Item
/// blobs"): version 2, written since the trash, SSH keys and attachments, and version 1, read as
/// an item not in the trash, without an SSH key and without files. An attachment whose chunk
/// count disagrees with its size cannot have been written by hush and makes the item
/// [`crate::VaultError::Corrupt`].
pub(crate) fn decode_plaintext(plain: &[u8], limit: u64) -> Result<Item, crate::VaultError> {
    let item = match plain.first() {
        Some(&ITEM_VERSION_1) => crate::encoding::decode::<ItemV1>(ITEM_VERSION_1, plain, limit)?.upgrade(),
        _ => crate::encoding::decode::<Item>(crate::ITEM_VERSION, plain, limit)?,
    };
    if !item.files.iter().all(Attachment::is_well_formed) {
        return Err(crate::VaultError::Corrupt("an attachment's chunk count does not match its size".into()));
    }
    Ok(item)
}

/// The host of a URL, or of a bare domain such as `github.com/login`; lower case,
/// without a leading `www.`.
pub fn host_of(url: &str) -> Option<String> {
    let trimmed = url.trim();
    let parsed = url::Url::parse(trimmed)
        .ok()
        .filter(|u| u.host_str().is_some())
        .or_else(|| url::Url::parse(&format!("https://{trimmed}")).ok())?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    // `www.` alone is a host too: stripping its prefix would leave an empty name (found by the
    // `import_pass` fuzz target, which named an entry after it; `a_host_is_never_empty`).
    let host = match host.strip_prefix("www.") {
        Some(rest) if !rest.is_empty() => rest.to_owned(),
        _ => host,
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_never_empty() {
        assert_eq!(host_of("https://www.github.com/x").as_deref(), Some("github.com"));
        assert_eq!(host_of(".t@www./x").as_deref(), Some("www."));
        assert_eq!(host_of("https://www./").as_deref(), Some("www."));
        for url in ["", " ", "https://", "mailto:", "file:///etc"] {
            assert!(host_of(url).is_none_or(|h| !h.is_empty()), "{url:?}");
        }
    }

    /// An item written by a hush before the trash (item format version 1) reads as the same item,
    /// not in the trash; what is written now is version 2 and reads back whole.
    #[test]
    fn a_version_1_item_reads_as_an_item_outside_the_trash() {
        #[derive(Serialize)]
        struct V1<'a> {
            kind: ItemKind,
            name: &'a str,
            username: &'a str,
            password: &'a str,
            urls: Vec<&'a str>,
            totp: Option<&'a str>,
            notes: &'a str,
            tags: Vec<&'a str>,
            fields: Vec<CustomField>,
            history: Vec<PasswordChange>,
            created: i64,
            updated: i64,
            password_changed: i64,
            revision: u64,
            deleted: bool,
            rotation_pending: bool,
            policy: Option<PasswordPolicy>,
            conflicts: Vec<Conflict>,
        }
        let old = V1 {
            kind: ItemKind::Card,
            name: "visa",
            username: "me",
            password: "pw",
            urls: vec!["https://bank.example"],
            totp: None,
            notes: "n",
            tags: vec!["money"],
            fields: vec![CustomField { name: "number".into(), value: "4111".into(), hidden: true }],
            history: vec![PasswordChange { password: "old".into(), replaced_at: 5 }],
            created: 1,
            updated: 6,
            password_changed: 5,
            revision: 3,
            deleted: false,
            rotation_pending: true,
            policy: Some(PasswordPolicy::default()),
            conflicts: vec![Conflict { field: "notes".into(), value: "m".into(), at: 6 }],
        };
        let plain = crate::encoding::encode(ITEM_VERSION_1, &old);
        let item = decode_plaintext(&plain, 1 << 20).unwrap();
        assert_eq!((item.kind, item.name.as_str(), item.password.as_str()), (ItemKind::Card, "visa", "pw"));
        assert_eq!(item.fields[0].value, "4111");
        assert_eq!(item.history[0].password, "old");
        assert_eq!((item.revision, item.rotation_pending, item.trashed), (3, true, None));
        assert_eq!(item.conflicts[0].value, "m");
        assert!(item.policy.is_some() && item.is_live());
        assert_eq!(item.ssh_key, None);
        // Format 2 holds what format 1 could not: the trash and an SSH key.
        let mut trashed = item.clone();
        trashed.trashed = Some(7);
        trashed.kind = ItemKind::SshKey;
        trashed.ssh_key = Some("-----BEGIN OPENSSH PRIVATE KEY-----\n...".into());
        let plain = crate::encoding::encode(crate::ITEM_VERSION, &trashed);
        assert_eq!(plain[0], 2);
        assert!(decode_plaintext(&plain, 1 << 20).unwrap() == trashed);
        let mut future = plain.to_vec();
        future[0] = 3;
        assert!(matches!(decode_plaintext(&future, 1 << 20), Err(crate::VaultError::UnsupportedVersion(3))));
    }

    /// Attachments are part of format version 2: they read back whole, and an attachment whose
    /// chunk count does not match its size is refused as corrupt.
    #[test]
    fn items_with_files_are_version_2_and_read_back() {
        let mut item = Item::new(ItemKind::Login, "bank", 7);
        item.password = "pw".into();
        item.files.push(Attachment {
            file_id: hush_crypto::FileId([5; 16]),
            name: "key.pem".into(),
            size: 3 << 20,
            key: [6; 32],
            chunks: vec![[1; 32], [2; 32], [3; 32]],
            added: 10,
        });
        let plain = crate::encoding::encode(crate::ITEM_VERSION, &item);
        assert_eq!(plain[0], 2);
        assert!(decode_plaintext(&plain, 1 << 20).unwrap() == item);
        item.files[0].chunks.pop();
        let plain = crate::encoding::encode(crate::ITEM_VERSION, &item);
        assert!(matches!(decode_plaintext(&plain, 1 << 20), Err(crate::VaultError::Corrupt(_))));
    }

    #[test]
    fn history_holds_each_previous_password_once_and_never_the_current_one() {
        let mut item = Item::new(ItemKind::Login, "x", 0);
        for (pw, t) in [("a", 1), ("b", 2), ("a", 3), ("c", 4)] {
            item.set_password(pw.into(), t);
        }
        let hist =
            |i: &Item| i.history.iter().map(|h| (h.password.clone(), h.replaced_at)).collect::<Vec<_>>();
        // "a" was replaced twice: only its latest replacement is kept.
        assert_eq!(hist(&item), [("b".to_string(), 3), ("a".to_string(), 4)]);
        // Restoring the second previous password ("b") makes it current and puts "c" back.
        assert!(item.restore_password(2, 5));
        assert_eq!(item.password, "b");
        assert_eq!(hist(&item), [("a".to_string(), 4), ("c".to_string(), 5)]);
        assert!(!item.restore_password(3, 6) && !item.restore_password(0, 6));
        assert_eq!(item.password, "b");
        let tomb = item.tombstone(9);
        assert_eq!(tomb.history.iter().filter(|h| h.password == "b").count(), 1);
    }

    #[test]
    fn trash_expires_after_thirty_days() {
        let mut item = Item::new(ItemKind::Login, "x", 0);
        assert!(item.is_live() && !item.trash_expired(i64::MAX));
        item.trashed = Some(1000);
        assert!(!item.is_live());
        assert!(!item.trash_expired(1000 + TRASH_DAYS * 86_400 - 1));
        assert!(item.trash_expired(1000 + TRASH_DAYS * 86_400));
    }

    #[test]
    fn set_password_keeps_history() {
        let mut item = Item::new(ItemKind::Login, "x", 10);
        item.set_password("one".into(), 11);
        assert!(item.history.is_empty(), "an empty password is not history");
        item.set_password("two".into(), 12);
        item.set_password("two".into(), 13);
        assert_eq!(item.history.len(), 1);
        assert_eq!(item.history[0].password, "one");
        assert_eq!(item.history[0].replaced_at, 12);
        assert_eq!(item.password_changed, 12);
        // Back to a previous password: in use since before, as far as hush can tell since the
        // item was created (issue #14).
        item.set_password("one".into(), 14);
        assert_eq!((item.password.as_str(), item.password_changed), ("one", 10));
        item.set_password("three".into(), 15);
        assert_eq!(item.password_changed, 15);
    }

    #[test]
    fn hosts_are_normalised() {
        assert_eq!(host_of("https://www.GitHub.com/login").as_deref(), Some("github.com"));
        assert_eq!(host_of("github.com/login").as_deref(), Some("github.com"));
        assert_eq!(host_of("android://com.example.app").as_deref(), Some("com.example.app"));
        assert_eq!(host_of("").as_deref(), None);
    }

    #[test]
    fn an_empty_totp_secret_is_none() {
        let mut item = Item::new(ItemKind::Login, "x", 0);
        assert!(!item.has_totp());
        item.totp = Some(String::new());
        assert!(!item.has_totp());
        item.totp = Some("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP".into());
        assert!(item.has_totp());
    }

    #[test]
    fn debug_hides_secrets() {
        let mut item = Item::new(ItemKind::Login, "bank", 0);
        item.password = "hunter2".into();
        item.notes = "pin 1234".into();
        let shown = format!("{item:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("1234"), "{shown}");
    }
}

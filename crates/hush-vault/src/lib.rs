//! hush-vault: the vault itself — the item model, the unlocked vault, the encrypted
//! `vault.hush` file with its sealed local state and search index, the read-only view and
//! the one-item editor, and the crash-safe writes under a lock (docs/vault-format.md).
//! Synchronous and without networking. What works *on* items lives in crates of its own:
//! `hush-generate`, `hush-totp`, `hush-import` and `hush-audit`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod durable;
mod editor;
pub mod encoding;
mod error;
mod index;
mod item;
pub mod local_state;
pub mod par;
pub mod profile;
mod push_numbers;
pub mod site;
mod vault;
pub mod vault_file;
mod view;

pub use crate::editor::Editor;
pub use crate::error::{Recovery, VaultError};
pub use crate::index::table::IndexRecordRef;
pub use crate::index::{
    IndexRecord, ItemLookup, MIN_ID_PREFIX, Matches, Scope, SearchFields, find, find_exact, find_in, search,
    search_in,
};
pub use crate::item::{Conflict, CustomField, Item, ItemKind, PasswordChange, TRASH_DAYS, host_of};
pub use crate::profile::{Edited, FileVersion, Profile, Updated, WriteLock};
pub use crate::vault::{
    ITEM_VERSION, SealedItem, Vault, check_item_size, decrypt_item, now, seal_item, seal_item_checked,
};
pub use crate::vault_file::{FileHeader, MAX_ITEM_BLOB, VaultFile};
pub use crate::view::{LockedView, VaultView};

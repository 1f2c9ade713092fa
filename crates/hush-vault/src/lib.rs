//! hush-vault: the domain of hush — items, the unlocked vault, the encrypted vault
//! file with its crash-safe writes and lock, the generator, TOTP, import/export and
//! audit. Synchronous and without networking.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod audit;
pub mod codec;
mod editor;
mod error;
pub mod file;
pub mod generator;
pub mod import;
mod index;
mod item;
mod par;
pub mod state;
pub mod store;
pub mod totp;
mod vault;
mod view;

pub use crate::editor::Editor;
pub use crate::error::{Recovery, VaultError};
pub use crate::file::{FileHeader, MAX_ITEM_BLOB, VaultFile};
pub use crate::index::table::EntryRef;
pub use crate::index::{Found, IndexEntry, Lookup, Searchable, find, search};
pub use crate::item::{Conflict, CustomField, Item, ItemKind, PasswordChange, host_of};
pub use crate::store::Paths;
pub use crate::vault::{
    Entry, ITEM_VERSION, Vault, check_item_size, decrypt_item, now, seal_item, seal_item_checked,
};
pub use crate::view::{LockedView, VaultView};

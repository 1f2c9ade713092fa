//! The item plaintext and its versions (docs/vault-format.md, "Item blobs").
//!
//! Version 1 is `0x01 || bincode(Item without attachments)`; version 2 (`0x02`) adds the
//! attachments at the end. An item without attachments is still written as version 1, so that a
//! device running a hush from before attachments keeps reading and syncing every item that does
//! not use them; only an item that holds a file needs a hush that knows files.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use hush_generate::PasswordPolicy;

use crate::encoding::{self, MAX_PLAINTEXT};
use crate::{Conflict, CustomField, Item, ItemKind, PasswordChange, VaultError};

/// The newest format version of the item plaintext: 2, with attachments.
pub const ITEM_VERSION: u8 = 2;
/// The first version, without attachments, still written for items that hold none.
pub const ITEM_VERSION_1: u8 = 1;

/// An item as version 1 lays it out: every field of [`Item`] but `files`, in the same order.
#[derive(Serialize)]
struct V1Ref<'a> {
    kind: &'a ItemKind,
    name: &'a String,
    username: &'a String,
    password: &'a String,
    urls: &'a Vec<String>,
    totp: &'a Option<String>,
    notes: &'a String,
    tags: &'a Vec<String>,
    fields: &'a Vec<CustomField>,
    history: &'a Vec<PasswordChange>,
    created: &'a i64,
    updated: &'a i64,
    password_changed: &'a i64,
    revision: &'a u64,
    deleted: &'a bool,
    rotation_pending: &'a bool,
    policy: &'a Option<PasswordPolicy>,
    conflicts: &'a Vec<Conflict>,
}

/// A version-1 item as decoded. Its fields move into an [`Item`] (which wipes them on drop), so
/// no copy of a secret stays behind here.
#[derive(Deserialize)]
struct V1 {
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
    policy: Option<PasswordPolicy>,
    conflicts: Vec<Conflict>,
}

/// The plaintext of `item`: version 1 when it holds no attachment, else version 2.
pub fn encode(item: &Item) -> Zeroizing<Vec<u8>> {
    if !item.files.is_empty() {
        return encoding::encode(ITEM_VERSION, item);
    }
    let v1 = V1Ref {
        kind: &item.kind,
        name: &item.name,
        username: &item.username,
        password: &item.password,
        urls: &item.urls,
        totp: &item.totp,
        notes: &item.notes,
        tags: &item.tags,
        fields: &item.fields,
        history: &item.history,
        created: &item.created,
        updated: &item.updated,
        password_changed: &item.password_changed,
        revision: &item.revision,
        deleted: &item.deleted,
        rotation_pending: &item.rotation_pending,
        policy: &item.policy,
        conflicts: &item.conflicts,
    };
    encoding::encode(ITEM_VERSION_1, &v1)
}

/// Decodes an item plaintext of either version. An attachment whose chunk count disagrees with
/// its size cannot have been written by hush and makes the item [`VaultError::Corrupt`].
pub fn decode(plain: &[u8]) -> Result<Item, VaultError> {
    let item = match plain.first() {
        Some(&ITEM_VERSION_1) => {
            let v: V1 = encoding::decode(ITEM_VERSION_1, plain, MAX_PLAINTEXT)?;
            let mut item = Item::new(v.kind, String::new(), v.created);
            item.name = v.name;
            item.username = v.username;
            item.password = v.password;
            item.urls = v.urls;
            item.totp = v.totp;
            item.notes = v.notes;
            item.tags = v.tags;
            item.fields = v.fields;
            item.history = v.history;
            item.updated = v.updated;
            item.password_changed = v.password_changed;
            item.revision = v.revision;
            item.deleted = v.deleted;
            item.rotation_pending = v.rotation_pending;
            item.policy = v.policy;
            item.conflicts = v.conflicts;
            item
        }
        _ => encoding::decode::<Item>(ITEM_VERSION, plain, MAX_PLAINTEXT)?,
    };
    if !item.files.iter().all(crate::Attachment::is_well_formed) {
        return Err(VaultError::Corrupt("an attachment's chunk count does not match its size".into()));
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Attachment;

    fn rich() -> Item {
        let mut item = Item::new(ItemKind::Login, "bank", 7);
        item.username = "me".into();
        item.password = "pw".into();
        item.urls = vec!["https://bank.example".into()];
        item.totp = Some("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP".into());
        item.notes = "notes".into();
        item.tags = vec!["money".into()];
        item.set_field("pin", "1234".into(), true);
        item.set_password("pw2".into(), 8);
        item.revision = 3;
        item.conflicts.push(Conflict { field: "name".into(), value: "old".into(), at: 9 });
        item
    }

    #[test]
    fn items_without_files_stay_version_1_and_read_back() {
        let item = rich();
        let plain = encode(&item);
        assert_eq!(plain[0], ITEM_VERSION_1);
        assert!(decode(&plain).unwrap() == item);
        // Byte for byte what hush wrote before attachments: Item's fields in order, less `files`.
        let mut with_files = encoding::encode(ITEM_VERSION_1, &item);
        // `Item` serialises `files` last: an empty Vec is a u64 length of 0.
        let cut = with_files.len() - 8;
        assert_eq!(&with_files[cut..], &[0; 8]);
        with_files.truncate(cut);
        assert_eq!(*plain, *with_files);
    }

    #[test]
    fn items_with_files_are_version_2() {
        let mut item = rich();
        item.files.push(Attachment {
            file_id: hush_crypto::FileId([5; 16]),
            name: "key.pem".into(),
            size: 3 << 20,
            key: [6; 32],
            chunks: vec![[1; 32], [2; 32], [3; 32]],
            added: 10,
        });
        let plain = encode(&item);
        assert_eq!(plain[0], ITEM_VERSION);
        assert!(decode(&plain).unwrap() == item);
        // A chunk count that does not match the size is refused.
        item.files[0].chunks.pop();
        assert!(matches!(decode(&encoding::encode(ITEM_VERSION, &item)), Err(VaultError::Corrupt(_))));
        // Versions this hush does not know are refused as such.
        let mut newer = plain.to_vec();
        newer[0] = 3;
        assert!(matches!(decode(&newer), Err(VaultError::UnsupportedVersion(3))));
    }
}

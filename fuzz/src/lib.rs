//! What several of hush's fuzz targets share (docs/fuzzing.md): a vault to seal inputs with,
//! and the checks every imported item must pass.
//!
//! A fuzz target's job is to find an input on which a parser panics, loops, allocates without
//! bound, or breaks a property it promises. The properties checked here are the ones the rest
//! of hush relies on after parsing: an item re-encodes to the bytes it came from, and an
//! imported TOTP secret is one that `hush totp` can use.

use std::sync::LazyLock;

use hush_crypto::{AccountId, FloorPolicy, ItemId, KdfParams, KeyRing};
use hush_import::{Import, ImportError};
use hush_vault::encoding::{self, MAX_PLAINTEXT};
use hush_vault::{FileHeader, ITEM_VERSION, IndexRecord, Item, Vault};

/// A vault's header and key ring, made once per fuzzing process.
pub struct Fixture {
    /// The header of an empty vault (its keyset opens with the ring's key).
    pub header: FileHeader,
    /// The vault's key ring.
    pub ring: KeyRing,
}

impl Fixture {
    /// The vault's account.
    pub fn account_id(&self) -> AccountId {
        self.header.account_id()
    }
}

/// The fixture vault. Argon2id runs once, with the smallest parameters it accepts: the key
/// matters here, not how hard it was to derive.
pub static VAULT: LazyLock<Fixture> = LazyLock::new(|| {
    let params = KdfParams { m_kib: 8, t: 1, p: 1 };
    let (vault, _) = Vault::create("fuzzing", params, FloorPolicy::AllowInsecure).expect("a vault");
    Fixture { header: vault.header().clone(), ring: vault.ring().clone() }
});

/// The "now" every parser that needs one is given, so that runs are reproducible.
pub const NOW: i64 = 1_800_000_000;

/// What the vault does with every item it decodes or imports, and what must hold of it:
/// - its plaintext encoding decodes to an equal item (a vault that saves it can open it);
/// - it seals into a blob that opens back to it, under its own id only;
/// - its index entry and size check do not fail on anything the item holds.
pub fn check_item(item: &Item) {
    let plain = encoding::encode(ITEM_VERSION, item);
    let decoded: Item = encoding::decode(ITEM_VERSION, &plain, u64::MAX).expect("an encoded item decodes");
    assert!(decoded == *item, "an item changed through its encoding");
    let fixture = &*VAULT;
    let id = ItemId([0x42; 16]);
    let blob = hush_vault::seal_item(&fixture.ring, &fixture.account_id(), &id, item);
    // Items larger than the server's limit are refused when written (`seal_item_checked`), but
    // sealing and opening one must still work: a vault written before the limit holds them.
    if plain.len() < MAX_PLAINTEXT as usize {
        let opened = hush_vault::decrypt_item(&fixture.ring, &fixture.account_id(), &id, &blob)
            .expect("a sealed item opens");
        assert!(opened == *item, "an item changed through sealing");
    }
    assert!(hush_vault::decrypt_item(&fixture.ring, &fixture.account_id(), &ItemId([0x43; 16]), &blob).is_err());
    let _ = hush_vault::check_item_size(item);
    let entry = IndexRecord::new(id, &blob, item);
    assert_eq!(entry.has_totp, item.has_totp());
    assert_eq!(entry.deleted, item.deleted);
}

/// The checks every successful import must pass, beyond [`check_item`]: a TOTP secret an
/// importer accepted is stored as a URI that `hush totp` parses (the importers normalise it;
/// a warning, not a broken item, is the way to refuse one), and duplicate detection runs on
/// the result: importing the same export twice adds nothing.
pub fn check_import(result: Result<Import, ImportError>) {
    let import = match result {
        Ok(import) => import,
        Err(err) => {
            // Every error has a message (and the CLI prints it).
            assert!(!err.to_string().is_empty());
            return;
        }
    };
    for item in &import.items {
        check_item(item);
        if let Some(uri) = &item.totp {
            if let Err(err) = hush_totp::Totp::parse(uri) {
                panic!("an imported TOTP secret does not parse: {err}");
            }
        }
    }
    for warning in &import.warnings {
        assert!(!warning.entry.is_empty() && !warning.message.is_empty());
    }
    let plan = hush_import::plan(std::iter::empty(), import.items.clone());
    assert!(plan.new.len() + plan.duplicates.len() == import.items.len(), "the plan lost items");
    // Importing the same export again adds nothing (docs/import-export.md, "Duplicates").
    let again = hush_import::plan(import.items.iter(), import.items.clone());
    assert!(again.new.is_empty(), "a repeated import would add an item");
}

/// The passphrase of the encrypted test keys (crates/hush-ssh/tests/data/README.md), with which
/// `ssh_key_import` decrypts every encrypted key it reads.
pub const SSH_PASSPHRASE: &[u8] = b"fixture passphrase";

/// Where `file_chunk` opens its sealed chunks, and its seeds are sealed.
pub mod chunk {
    use hush_crypto::{AccountId, FileId};

    /// The account the chunks belong to.
    pub const ACCOUNT: AccountId = AccountId([0x11; 16]);
    /// The file they are chunks of.
    pub const FILE: FileId = FileId([0x22; 16]);
    /// The file key that seals them.
    pub const KEY: [u8; 32] = [0x33; 32];
}

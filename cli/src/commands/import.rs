//! `hush import`: items from another manager's export, a hush JSON export, or an
//! encrypted hush backup, added to the vault as new items (docs/import-export.md).
//!
//! The whole input is parsed before the vault is touched, and the new items are
//! written in one locked update: a malformed file imports nothing. Items that
//! duplicate existing ones (`hush_import::is_duplicate`) are reported and
//! skipped, so importing the same export twice changes nothing. An item larger than
//! one item may be (`hush_vault::MAX_ITEM_BLOB`, the sync server's limit) makes the
//! whole import fail, naming every such item: nothing is imported, as with a malformed
//! file, so that fixing the export and importing again gives the whole of it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use hush_crypto::KeyRing;
use hush_import::{self as import, Import, bitwarden, browser, hush_json, keepassxc, onepassword, pass};
use hush_vault::{FileHeader, Item, Vault, VaultFile, now};
use zeroize::Zeroizing;

use super::backup_archive;
use crate::cli::{ImportArgs, ImportFormat};
use crate::context::Ctx;
use crate::{output, prompt};

/// The largest export read (exports of even very large vaults are a few MiB).
const MAX_INPUT: u64 = 256 * 1024 * 1024;

/// Runs `hush import`.
pub(super) fn run(ctx: &Ctx, args: &ImportArgs) -> Result<()> {
    if args.from != ImportFormat::Hush
        && (args.setup_code_file.is_some() || args.backup_password_file.is_some())
    {
        bail!("--setup-code-file and --backup-password-file are for --from hush");
    }
    // Refuse early, before reading the export or asking anything, when there is no
    // vault to import into: the error says to run `hush init` first. Only the header:
    // the vault itself is read under the writers' lock (or for a dry run).
    let current = ctx.header()?;
    let t = now();
    // A backup's attached files, unpacked, to be sealed afresh into this vault with their items.
    let mut backup_files = None;
    let (import, key) = match args.from {
        ImportFormat::Hush => {
            let path = input_path(args)?;
            let backup = backup_archive::read(path, read_backup)?;
            let key = ctx.key_ring(&current)?;
            let items = backup_items(args, &backup.vault, &current, &key)
                .with_context(|| format!("cannot import the backup {}", path.display()))?;
            backup_files = Some(backup);
            (Import { items, warnings: Vec::new() }, Some(key))
        }
        // Parsed before the vault is unlocked: a malformed file costs no password.
        format => (parse(format, args, t)?, None),
    };
    for warning in &import.warnings {
        eprintln!("warning: {}", shown(&warning.to_string()));
    }
    let warnings = import.warnings.len();
    if import.items.is_empty() {
        eprintln!("Nothing to import: no items found.");
        return Ok(());
    }
    let key = match key {
        Some(key) => key,
        None => ctx.key_ring(&current)?,
    };

    if args.dry_run {
        let vault = ctx.open_with_key(key)?;
        let plan = import::plan(vault.items().map(|(_, item)| item), import.items);
        let too_large = too_large(&plan.new);
        let mut large = too_large.iter().peekable();
        // `too_large` keeps the items' order.
        for item in &plan.new {
            match large.next_if(|(big, _)| std::ptr::eq(*big, item)) {
                None => output::line(format!("add   {}", describe(item)))?,
                Some((_, size)) => output::line(format!("FAIL  {}  ({})", describe(item), size_note(*size)))?,
            }
        }
        for dup in &plan.duplicates {
            output::line(format!("skip  {}  (duplicate of {})", describe(&dup.item), origin(dup)))?;
        }
        if !too_large.is_empty() {
            eprintln!(
                "Dry run: the import would fail: {} larger than one item may be (FAIL above). \
                 Nothing was changed.",
                items_are(too_large.len())
            );
            return Ok(());
        }
        eprintln!(
            "Dry run: would import {}, skip {}; {}. Nothing was changed.",
            count(plan.new.len(), "item"),
            count(plan.duplicates.len(), "duplicate"),
            count(warnings, "warning"),
        );
        return Ok(());
    }

    let store = ctx.profile.files();
    let (added, duplicates, restored, dropped) = ctx.update_with_key(key, |vault| {
        let plan = import::plan(vault.items().map(|(_, item)| item), import.items);
        refuse_too_large(&plan.new)?;
        let mut new = plan.new;
        // Sealed under the writers' lock, as `hush file add` does, so that no sync prunes the
        // new chunks before their items are saved; removed again if the import fails.
        let mut sealed = Vec::new();
        let result = restore_files(vault, &mut new, backup_files.as_ref(), &store, &mut sealed);
        let (restored, dropped) = match result {
            Ok(done) => done,
            Err(e) => {
                for file in &sealed {
                    let _ = store.remove(file);
                }
                return Err(e);
            }
        };
        let added = new.len();
        for item in new {
            vault.try_add(item)?;
        }
        Ok(((added, plan.duplicates, restored, dropped), added > 0))
    })?;
    backup_archive::report_files(restored, &dropped);
    report(added, &duplicates, warnings);
    Ok(())
}

/// Replaces the attachments of `items` (restored from a backup) by new files of this vault, sealed
/// from the backup's chunks into `store` (their ids pushed to `sealed` as they are written).
/// Returns how many files were restored, and which (item, file) a backup without files could not
/// restore: those items are restored without them.
fn restore_files(
    vault: &Vault,
    items: &mut [Item],
    backup: Option<&backup_archive::Backup>,
    store: &hush_vault::FileStore,
    sealed: &mut Vec<hush_crypto::FileId>,
) -> Result<(usize, Vec<(String, String)>)> {
    let (mut restored, mut dropped) = (0, Vec::new());
    let account = vault.account_id();
    for item in items.iter_mut().filter(|i| !i.files.is_empty()) {
        let files = std::mem::take(&mut item.files);
        let Some((backup, (_, chunks))) = backup.and_then(|b| b.chunks.as_ref().map(|c| (b, c))) else {
            dropped.extend(files.iter().map(|f| (item.name.clone(), f.name.clone())));
            continue;
        };
        for file in &files {
            let new = backup_archive::reseal(file, backup.vault.header.account_id(), chunks, &account, store)
                .with_context(|| format!("{}: the backup is damaged or incomplete", item.name))?;
            sealed.push(new.file_id);
            item.files.push(new);
            restored += 1;
        }
    }
    Ok((restored, dropped))
}

/// Parses an export of a third-party or plaintext format.
fn parse(format: ImportFormat, args: &ImportArgs, t: i64) -> Result<Import> {
    if format == ImportFormat::Pass {
        let dir = match &args.path {
            Some(dir) => dir.clone(),
            None => default_password_store()?,
        };
        return pass::parse_store(&dir, &pass::Gpg::default(), t)
            .with_context(|| format!("cannot import the password store {}", dir.display()));
    }
    let path = input_path(args)?;
    let bytes = read_input(path)?;
    let parser = match format {
        ImportFormat::BitwardenJson => bitwarden::parse_json,
        ImportFormat::BitwardenCsv => bitwarden::parse_csv,
        ImportFormat::KeepassxcCsv => keepassxc::parse_csv,
        ImportFormat::OnePasswordCsv => onepassword::parse_csv,
        ImportFormat::ChromeCsv => browser::parse_chrome_csv,
        ImportFormat::FirefoxCsv => browser::parse_firefox_csv,
        ImportFormat::HushJson => hush_json::parse_json,
        ImportFormat::Pass | ImportFormat::Hush => unreachable!("handled by the caller"),
    };
    parser(&bytes, t).with_context(|| format!("cannot import {}; nothing was imported", path.display()))
}

fn input_path(args: &ImportArgs) -> Result<&Path> {
    args.path.as_deref().ok_or_else(|| anyhow!("name the export file: hush import --from FORMAT FILE"))
}

/// pass's own default: `$PASSWORD_STORE_DIR`, else `~/.password-store`.
fn default_password_store() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PASSWORD_STORE_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = directories::BaseDirs::new()
        .ok_or_else(|| anyhow!("cannot find your home folder; name the password store folder"))?;
    Ok(home.home_dir().join(".password-store"))
}

/// Reads a whole export into memory that is wiped afterwards.
fn read_input(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_dir() {
        bail!("{} is a folder; only --from pass reads a folder", path.display());
    }
    if meta.len() > MAX_INPUT {
        bail!(
            "{} is larger than {} MiB; that is no password manager export",
            path.display(),
            MAX_INPUT >> 20
        );
    }
    Ok(Zeroizing::new(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?))
}

fn read_backup(path: &Path) -> Result<VaultFile> {
    let bytes = read_input(path)?;
    VaultFile::from_bytes(&bytes).with_context(|| {
        format!("{} is not a hush backup (one written by `hush export --format hush`)", path.display())
    })
}

/// Decrypts a backup's live items.
///
/// A backup of this very account (same account id and key version) is sealed under
/// the vault key already in hand, so it opens without its setup code or password.
/// Any other backup needs both: its setup code (the account key) and the master
/// password it had when it was written.
fn backup_items(
    args: &ImportArgs,
    backup: &VaultFile,
    current: &FileHeader,
    key: &KeyRing,
) -> Result<Vec<Item>> {
    let same_account =
        backup.header.account_id == current.account_id && backup.header.key_version == current.key_version;
    let vault = if same_account {
        Vault::open(backup, key.clone())?
    } else {
        let (account_id, account_key) = match &args.setup_code_file {
            Some(path) => crate::setup_code::from_file(path)?,
            None if prompt::interactive() => crate::setup_code::ask("Setup code of the backup (HUSH1-...)")?,
            None => bail!(
                "the backup belongs to another account: pass its setup code with --setup-code-file PATH"
            ),
        };
        if account_id != backup.header.account_id() {
            bail!(
                "this setup code is for another account than the backup's; use the code `hush kit` shows \
                 on the device the backup came from"
            );
        }
        let password = match &args.backup_password_file {
            Some(path) => prompt::first_line_of(path)?,
            None if prompt::interactive() => prompt::secret("Master password of the backup: ")?,
            None => bail!("pass the backup's master password with --backup-password-file PATH"),
        };
        if backup.header.insecure_kdf {
            eprintln!(
                "warning: the backup's vault uses KDF parameters below the safe minimum (--insecure-kdf)"
            );
        }
        let vk = Vault::unlock_key(&backup.header, &password, &account_key)?;
        Vault::open(backup, vk)?
    };
    let mut items: Vec<Item> = vault
        .items()
        .map(|(_, item)| {
            let mut item = item.clone();
            // A new item in this vault: its edit counter starts again.
            item.revision = 0;
            item.conflicts.clear();
            item
        })
        .collect();
    // Ids are random; list and add in name order instead.
    items.sort_by_cached_key(|item| (item.name.to_lowercase(), item.created));
    Ok(items)
}

/// The items that would be sealed larger than one item may be, with their sizes.
fn too_large(items: &[Item]) -> Vec<(&Item, usize)> {
    items
        .iter()
        .filter_map(|item| match hush_vault::check_item_size(item) {
            Err(hush_vault::VaultError::ItemTooLarge { size, .. }) => Some((item, size)),
            _ => None,
        })
        .collect()
}

fn items_are(n: usize) -> String {
    if n == 1 { "1 item is".to_owned() } else { format!("{n} items are") }
}

fn size_note(size: usize) -> String {
    format!("{size} bytes sealed, over the limit of {} bytes", hush_vault::MAX_ITEM_BLOB)
}

/// Fails, naming each one, when any item to import is larger than one item may be:
/// the sync server would refuse it (docs/server.md, "Limits").
fn refuse_too_large(items: &[Item]) -> Result<()> {
    let too_large = too_large(items);
    if too_large.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = too_large
        .iter()
        .map(|(item, size)| format!("  {}  ({})", describe(item), size_note(*size)))
        .collect();
    bail!(
        "{} larger than one item may be ({} KiB sealed, the sync server's limit: docs/server.md \"Limits\"); \
         nothing was imported. Shorten {} in the export (notes, fields), or remove {}, and import again:\n{}",
        items_are(too_large.len()),
        hush_vault::MAX_ITEM_BLOB >> 10,
        if too_large.len() == 1 { "it" } else { "them" },
        if too_large.len() == 1 { "it" } else { "them" },
        list.join("\n")
    )
}

fn report(added: usize, duplicates: &[import::Duplicate], warnings: usize) {
    for dup in duplicates {
        eprintln!("skipped {}: duplicate of {}", describe(&dup.item), origin(dup));
    }
    eprintln!(
        "Imported {}, skipped {}, {}.",
        count(added, "item"),
        count(duplicates.len(), "duplicate"),
        count(warnings, "warning"),
    );
}

fn origin(dup: &import::Duplicate) -> String {
    if dup.within_import {
        format!("{:?} earlier in the same import", shown(&dup.of))
    } else {
        format!("{:?} already in the vault", shown(&dup.of))
    }
}

/// `name  (user name)` for listings.
fn describe(item: &Item) -> String {
    if item.username.is_empty() {
        shown(&item.name)
    } else {
        format!("{}  ({})", shown(&item.name), shown(&item.username))
    }
}

/// Text from an export made safe for a terminal: control characters (escape
/// sequences in a hostile file) are replaced.
fn shown(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect()
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

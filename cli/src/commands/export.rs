//! `hush export`: every item as plaintext JSON or CSV, only after an explicit
//! `--plaintext` (or a yes on the terminal), or as an encrypted backup
//! (docs/import-export.md).

use std::io::Write as _;
use std::path::Path;

use anyhow::{Result, bail};
use hush_import::{bitwarden, hush_json};
use hush_vault::durable::write_atomic;
use hush_vault::{Attachment, Item, now};

use crate::cli::{ExportArgs, ExportFormat};
use crate::context::Ctx;
use crate::prompt;

/// Runs `hush export`.
pub(super) fn run(ctx: &Ctx, args: &ExportArgs) -> Result<()> {
    if let Some(out) = &args.output {
        refuse_hush_folder(ctx, out)?;
    }
    match args.format {
        ExportFormat::Hush => backup(ctx, args),
        ExportFormat::Json | ExportFormat::Csv => plaintext(ctx, args),
    }
}

/// `--format hush`: a byte-for-byte copy of the vault file, which is already
/// encrypted under the vault key (master password + account key); with the sealed chunks of its
/// attached files, as a tar archive, when it has any ([`super::backup_archive`]).
fn backup(ctx: &Ctx, args: &ExportArgs) -> Result<()> {
    if args.plaintext {
        bail!("--plaintext is for --format json and csv; a hush backup is encrypted");
    }
    let Some(out) = &args.output else {
        bail!("--format hush needs --output PATH (the backup is a binary file)");
    };
    // Open the very bytes that will be written: a backup that fails to authenticate
    // would only be found out on the day it is needed.
    let (bytes, vault) = ctx.profile.read_authenticated_bytes(ctx.key_ring(&ctx.header()?)?)?;
    // The files of items in the trash too: the backup holds those items (vault.hush whole).
    let files: Vec<&Attachment> =
        vault.entries().values().filter(|e| !e.item.deleted).flat_map(|e| e.item.files.iter()).collect();
    if files.is_empty() {
        write_atomic(out, &bytes, None)?;
    } else {
        super::backup_archive::write(ctx, &vault, &bytes, &files, out)?;
    }
    let with_files = match files.len() {
        0 => String::new(),
        n => format!(" and {n} attached file(s)"),
    };
    eprintln!(
        "Wrote an encrypted backup of {} item(s){with_files} to {}.\n\
         Restore it on any device with `hush import --from hush {}`: it needs this account's \
         setup code (`hush kit`) and the master password as it is now.",
        vault.len(),
        out.display(),
        out.display()
    );
    Ok(())
}

/// `--format json|csv`: plaintext, behind `--plaintext` or a confirmation.
fn plaintext(ctx: &Ctx, args: &ExportArgs) -> Result<()> {
    let dest = args.output.as_ref().map_or_else(|| "standard output".to_owned(), |p| p.display().to_string());
    if !args.plaintext {
        let question = format!("Write every password UNENCRYPTED to {dest}?");
        // Without a terminal nobody can answer, and `confirm` says no.
        if !prompt::confirm(&question)? {
            bail!(
                "refusing to write every password in plain text without --plaintext: anyone who can \
                 read {dest} would have them all. For a backup, use --format hush (encrypted)"
            );
        }
    }
    let vault = ctx.open()?;
    let mut items: Vec<&Item> = vault.items().map(|(_, item)| item).collect();
    items.sort_by_cached_key(|item| item.name.to_lowercase());
    let bytes = match args.format {
        ExportFormat::Json => hush_json::write_json(items.iter().copied(), now()),
        _ => bitwarden::write_csv(items.iter().copied()),
    };
    match &args.output {
        // Mode 0600 from the start, written atomically: never a readable partial file.
        Some(out) => write_atomic(out, &bytes, None)?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes)?;
            stdout.flush()?;
        }
    }
    eprintln!(
        "warning: {dest} now holds {} password(s) in plain text. Keep it off shared and synced \
         folders, and delete it (e.g. `shred -u FILE`) once it is imported elsewhere.",
        items.len()
    );
    Ok(())
}

/// Exports never go into hush's own folder, where they could replace the vault,
/// its backup or the account key.
pub(super) fn refuse_hush_folder(ctx: &Ctx, out: &Path) -> Result<()> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let (Ok(a), Ok(b)) = (parent.canonicalize(), ctx.profile.dir().canonicalize())
        && a == b
    {
        bail!("refusing to write into hush's own folder {}; choose another path", b.display());
    }
    Ok(())
}

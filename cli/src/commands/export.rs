//! `hush export`: every item as plaintext JSON or CSV, only after an explicit
//! `--plaintext` (or a yes on the terminal), or as an encrypted backup
//! (docs/import-export.md).

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use hush_import::{bitwarden, hush_json};
use hush_sync::files::Remote;
use hush_vault::durable::write_atomic;
use hush_vault::{Attachment, Item, Vault, now};

use crate::cli::{ExportArgs, ExportFormat};
use crate::context::Ctx;
use crate::prompt;

/// Runs `hush export`.
pub fn run(ctx: &Ctx, args: &ExportArgs) -> Result<()> {
    if let Some(out) = &args.output {
        refuse_hush_folder(ctx, out)?;
    }
    match args.format {
        ExportFormat::Hush => backup(ctx, args),
        ExportFormat::Json | ExportFormat::Csv => plaintext(ctx, args),
    }
}

/// `--format hush`: a byte-for-byte copy of the vault file, which is already
/// encrypted under the vault key (master password + account key).
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
    let files: Vec<&Attachment> = vault.items().flat_map(|(_, item)| item.files.iter()).collect();
    if files.is_empty() {
        write_atomic(out, &bytes, None)?;
    } else {
        backup_with_files(ctx, &vault, &bytes, &files, out)?;
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

/// A backup of a vault with attached files: a tar archive of `vault.hush` and every sealed chunk
/// as `files/<file id>/<index>`, the profile folder's own layout (docs/import-export.md, "Encrypted
/// backups"). Each chunk is verified against its item before it is copied, and fetched from the
/// server when this device does not hold it; the archive is written to a temporary file and put
/// in place only when whole, so a backup that would not restore is never made.
fn backup_with_files(ctx: &Ctx, vault: &Vault, bytes: &[u8], files: &[&Attachment], out: &Path) -> Result<()> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".hush-backup-")
        .suffix(".tmp")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(parent)
        .with_context(|| format!("cannot create a file in {}", parent.display()))?;
    let transport = match &vault.state().sync {
        Some(_) => Some(crate::remote::connected_transport(ctx, vault.state(), Duration::from_secs(120))?),
        None => None,
    };
    let remote = transport.as_ref().and_then(|t| Remote::of(t, vault.state()));
    let store = ctx.profile.files();
    let account = vault.account_id();
    let mut archive = tar::Builder::new(std::io::BufWriter::new(temp));
    archive.mode(tar::HeaderMode::Deterministic);
    let mut append = |name: &str, data: &[u8]| -> Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        header.set_entry_type(tar::EntryType::Regular);
        archive.append_data(&mut header, name, data).with_context(|| format!("cannot write {}", out.display()))
    };
    append(BACKUP_VAULT_ENTRY, bytes)?;
    for file in files {
        for index in 0..file.chunk_count() {
            let (sealed, _) = hush_sync::files::verified_chunk(&account, file, index, &store, remote.as_ref())?;
            append(&format!("files/{}/{index}", file.file_id), &sealed)?;
        }
    }
    let temp = archive
        .into_inner()
        .and_then(|w| w.into_inner().map_err(std::io::IntoInnerError::into_error))
        .with_context(|| format!("cannot write {}", out.display()))?;
    temp.as_file().sync_all().with_context(|| format!("cannot write {}", out.display()))?;
    temp.persist(out).map_err(|e| anyhow!("cannot write {}: {}", out.display(), e.error))?;
    Ok(())
}

/// The name of the vault file inside a backup archive (its name in a profile folder).
pub const BACKUP_VAULT_ENTRY: &str = "vault.hush";

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
fn refuse_hush_folder(ctx: &Ctx, out: &Path) -> Result<()> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let (Ok(a), Ok(b)) = (parent.canonicalize(), ctx.profile.dir().canonicalize())
        && a == b
    {
        bail!("refusing to write into hush's own folder {}; choose another path", b.display());
    }
    Ok(())
}

//! Encrypted backups of vaults with attached files (docs/import-export.md, "Encrypted backups"):
//! a tar archive of `vault.hush` and every sealed chunk as `files/<file id>/<index>`, the profile
//! folder's own layout. A vault without files is still backed up as `vault.hush` alone.
//!
//! Nothing in the archive is readable without the account's keys: the chunks are copied sealed,
//! exactly as the profile and the server hold them. Writing verifies each chunk against its item
//! before copying it; restoring verifies each again, with the backup's account id in the AAD
//! (docs/spec/crypto-v2.md, "Attachments"), and seals the content afresh as a new file of the
//! vault it is restored into: a new file id and file key, so that a restore into another account
//! or next to the original never collides with a file that already exists.

use std::io::{Read, Write as _};
use std::path::Path;

use anyhow::{Context as _, Result, anyhow, bail};
use hush_crypto::{AccountId, CHUNK_SIZE, FileId};
use hush_sync::files::Remote;
use hush_vault::{Attachment, FileStore, Vault, VaultFile};
use zeroize::Zeroizing;

use crate::context::Ctx;

/// The name of the vault file inside a backup archive (its name in a profile folder).
const VAULT_ENTRY: &str = "vault.hush";
/// The largest `vault.hush` read from an archive, as for any import.
const MAX_VAULT_ENTRY: u64 = 256 * 1024 * 1024;
/// The largest chunk entry read: a sealed chunk is at most about 1 MiB + 32 KiB, and anything
/// larger is no chunk hush wrote (the item's chunk hash would refuse it anyway).
const MAX_CHUNK_ENTRY: u64 = 2 * CHUNK_SIZE as u64;

/// Writes the backup of `vault` (whose file is `bytes`) with every file its items reference, in
/// use or in the trash, to `out`: a temporary file put in place only when whole. A chunk missing
/// here is fetched from the server and verified like any read (a lying server is TAMPERING).
pub(super) fn write(ctx: &Ctx, vault: &Vault, bytes: &[u8], files: &[&Attachment], out: &Path) -> Result<()> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".hush-backup-")
        .suffix(".tmp")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(parent)
        .with_context(|| format!("cannot create a file in {}", parent.display()))?;
    let store = ctx.profile.files();
    // The server is asked only for what this device lacks: a backup of files all here works
    // offline.
    let transport = match &vault.state().sync {
        Some(_) if !files.iter().all(|f| store.has_all(f)) => {
            Some(crate::remote::connected_transport(ctx, vault.state())?)
        }
        _ => None,
    };
    let remote = transport.as_ref().and_then(|t| Remote::of(t, vault.state()));
    let account = vault.account_id();
    let mut archive = tar::Builder::new(std::io::BufWriter::new(temp));
    archive.mode(tar::HeaderMode::Deterministic);
    let mut append = |name: &str, data: &[u8]| -> Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        header.set_entry_type(tar::EntryType::Regular);
        archive
            .append_data(&mut header, name, data)
            .with_context(|| format!("cannot write {}", out.display()))
    };
    append(VAULT_ENTRY, bytes)?;
    for file in files {
        for index in 0..file.chunk_count() {
            let (sealed, _) =
                hush_sync::files::verified_chunk(&account, file, index, &store, remote.as_ref())?;
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

/// A backup as read: its vault file, and the sealed chunks it carried (unpacked into a private
/// temporary folder, removed when this is dropped), `None` for a backup that is `vault.hush` alone.
pub(super) struct Backup {
    pub vault: VaultFile,
    pub chunks: Option<(tempfile::TempDir, FileStore)>,
}

/// Reads a backup written by `hush export --format hush`: `vault.hush` alone, or a tar archive
/// of it and its files. Only entries named as [`write()`] names them are taken; any other entry
/// (a path elsewhere, a link, a device) makes the backup refused, so that nothing in an archive
/// ever decides where hush writes.
pub(super) fn read(path: &Path, read_plain: impl FnOnce(&Path) -> Result<VaultFile>) -> Result<Backup> {
    let mut magic = [0u8; 8];
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let is_vault = file.read_exact(&mut magic).is_ok() && &magic == hush_vault::vault_file::MAGIC;
    if is_vault || file.metadata().is_ok_and(|m| m.is_dir()) {
        return Ok(Backup { vault: read_plain(path)?, chunks: None });
    }
    let not_backup =
        || format!("{} is not a hush backup (one written by `hush export --format hush`)", path.display());
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let dir = tempfile::Builder::new()
        .prefix("hush-restore-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let store = FileStore::new(dir.path().join("files"));
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    let mut vault = None;
    for entry in archive.entries().with_context(not_backup)? {
        let mut entry = entry.with_context(not_backup)?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(anyhow!("it holds an entry that is not a regular file")).with_context(not_backup);
        }
        let name = entry.path().with_context(not_backup)?.to_string_lossy().into_owned();
        if name == VAULT_ENTRY {
            vault = Some(Zeroizing::new(read_entry(&mut entry, MAX_VAULT_ENTRY).with_context(not_backup)?));
        } else if let Some((file_id, index)) = chunk_entry(&name) {
            let sealed = read_entry(&mut entry, MAX_CHUNK_ENTRY).with_context(not_backup)?;
            store.write_chunk(&file_id, index, &sealed)?;
        } else {
            return Err(anyhow!("it holds an unexpected entry {name:?}")).with_context(not_backup);
        }
    }
    let vault = vault.ok_or_else(|| anyhow!("it holds no vault.hush")).with_context(not_backup)?;
    let vault = VaultFile::from_bytes(&vault).with_context(not_backup)?;
    Ok(Backup { vault, chunks: Some((dir, store)) })
}

/// `files/<file id>/<index>`, parsed; `None` for any other name. The parts must read back as
/// they were written, so that a name with extra characters (`../`, leading zeros) is refused.
fn chunk_entry(name: &str) -> Option<(FileId, u32)> {
    let mut parts = name.split('/');
    let (Some("files"), Some(id), Some(index), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let (file_id, number) = (id.parse::<FileId>().ok()?, index.parse::<u32>().ok()?);
    (file_id.to_string() == id && number.to_string() == index).then_some((file_id, number))
}

fn read_entry(entry: &mut impl Read, limit: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    entry.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        bail!("an entry is larger than any hush writes");
    }
    Ok(bytes)
}

/// The plaintext of an attached file, read chunk by chunk from `store`, each verified against
/// the item (hash, AAD with `account`, padding) before any of it is handed out.
struct Plaintext<'a> {
    account: AccountId,
    file: &'a Attachment,
    store: &'a FileStore,
    next: u32,
    buf: Zeroizing<Vec<u8>>,
    pos: usize,
}

impl Read for Plaintext<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.next == self.file.chunk_count() {
                return Ok(0);
            }
            let (_, plain) =
                hush_sync::files::verified_chunk(&self.account, self.file, self.next, self.store, None)
                    .map_err(|_| {
                        std::io::Error::other(format!(
                            "the backup's chunk {} of this file is missing or damaged",
                            self.next
                        ))
                    })?;
            self.buf = plain;
            self.pos = 0;
            self.next += 1;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Seals `file`, as the backup of account `backup_account` holds it in `chunks`, as a new file of
/// this profile's vault (account `account`) in `into`: verified chunk by chunk, in bounded memory.
pub(super) fn reseal(
    file: &Attachment,
    backup_account: AccountId,
    chunks: &FileStore,
    account: &AccountId,
    into: &FileStore,
) -> Result<Attachment> {
    let mut source = Plaintext {
        account: backup_account,
        file,
        store: chunks,
        next: 0,
        buf: Zeroizing::default(),
        pos: 0,
    };
    let mut sealed = into
        .seal(account, &file.name, &mut source, file.size, file.added)
        .with_context(|| format!("cannot restore the attached file {:?}", file.name))?;
    sealed.added = file.added;
    Ok(sealed)
}

/// Says on stderr what a restore did with attached files.
pub(super) fn report_files(restored: usize, dropped: &[(String, String)]) {
    if restored > 0 {
        eprintln!("Restored {restored} attached file(s); they sync with their items.");
    }
    for (item, file) in dropped {
        let _ = writeln!(
            std::io::stderr(),
            "warning: {item}: its file {file:?} is not in the backup (a vault.hush copied by hand holds no \
             files); restored without it"
        );
    }
}

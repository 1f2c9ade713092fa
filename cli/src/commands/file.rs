//! `hush file add|ls|get|rm`: files attached to items (docs/attachments.md; the format is
//! docs/spec/crypto-v2.md, "Attachments").
//!
//! A file is sealed in chunks into the profile's `files/` folder while the writers' lock is held,
//! and then referenced from its item in the same locked edit, so that no other `hush` (a sync that
//! prunes unreferenced chunks) ever sees chunks without their item or an item without its chunks.
//! Reading streams chunk by chunk: each is verified before any byte of it is written, and an
//! output file is put in place only once every chunk verified.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use hush_crypto::{FileId, ItemId, KeyRing};
use hush_sync::files::{ReadError, Remote};
use hush_sync::{SyncError, Tampering};
use hush_vault::{Attachment, Item, check_file_name, now};
use serde::Serialize;

use crate::cli::{FileAddArgs, FileCommand, FileGetArgs, FileLsArgs, FileRmArgs};
use crate::context::{Ctx, find_one};
use crate::exit::Exit;
use crate::{output, prompt, remote};

/// Runs `hush file ...`.
pub(super) fn run(ctx: &Ctx, command: FileCommand) -> Result<()> {
    match command {
        FileCommand::Add(args) => add(ctx, &args),
        FileCommand::Ls(args) => ls(ctx, &args),
        FileCommand::Get(args) => get(ctx, &args),
        FileCommand::Rm(args) => rm(ctx, &args),
    }
}

/// `12.3 MiB`, `700 KiB`, `12 bytes`.
pub(super) fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        1 => "1 byte".to_owned(),
        b => format!("{b} bytes"),
    }
}

/// The one attachment of `item` that `name` designates, or an error with the exit code of a
/// query that matches nothing (3) or several things (4).
fn one_file<'a>(item: &'a Item, name: &str) -> Result<&'a Attachment> {
    match item.find_files(name)[..] {
        [one] => Ok(one),
        [] => Err(anyhow::Error::new(Exit::NotFound(name.to_owned())).context(format!(
            "{} has no file {name:?}; `hush file ls {:?}` lists its files",
            item.name, item.name
        ))),
        ref several => {
            let list = several
                .iter()
                .map(|f| format!("  {}  {}  {}", &f.file_id.to_string()[..8], f.name, size(f.size)))
                .collect::<Vec<_>>()
                .join("\n");
            Err(Exit::Ambiguous { query: name.to_owned(), list }.into())
        }
    }
}

fn add(ctx: &Ctx, args: &FileAddArgs) -> Result<()> {
    let from_stdin = args.path.as_os_str() == "-";
    let name = match (&args.name, from_stdin) {
        (Some(name), _) => name.clone(),
        (None, true) => bail!("a file read from standard input needs a name: --name NAME"),
        (None, false) => args
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| {
                anyhow!("{} has no file name that is text; give one with --name", args.path.display())
            })?
            .to_owned(),
    };
    check_file_name(&name).map_err(|why| anyhow!("{why}: {name:?}; give another with --name"))?;
    let max = ctx.config.files.max_bytes();
    // Refused up front, before a key is asked for: a file known to be too large.
    let mut source: Box<dyn std::io::Read> = if from_stdin {
        Box::new(std::io::stdin().lock())
    } else {
        let meta =
            std::fs::metadata(&args.path).with_context(|| format!("cannot read {}", args.path.display()))?;
        if meta.is_dir() {
            bail!(
                "{} is a folder; attach files one by one (or an archive of the folder)",
                args.path.display()
            );
        }
        if meta.len() > max {
            return Err(hush_vault::VaultError::FileTooLarge { name, limit: max }.into());
        }
        Box::new(
            std::fs::File::open(&args.path)
                .with_context(|| format!("cannot read {}", args.path.display()))?,
        )
    };
    let ring = ctx.key_ring(&ctx.header()?)?;
    let store = ctx.profile.files();
    let (item_name, attachment) = ctx.edit_with_key(ring, |editor| {
        let id = find_one(editor, &args.query)?;
        let item = editor.get(&id)?.ok_or_else(|| Exit::NotFound(args.query.clone()))?;
        if item.files.iter().any(|f| f.name == name) {
            bail!(
                "{} already has a file named {name:?}; remove it first (`hush file rm`) or choose another \
                 name with --name",
                item.name
            );
        }
        let account = editor.header().account_id();
        // Sealed under the lock (module comment). A failure after this removes what was written.
        let attachment = store.seal(&account, &name, &mut source, max, now())?;
        let added = attachment.clone();
        if let Err(e) = editor.update(&id, now(), |i| i.files.push(added)) {
            let _ = store.remove(&attachment.file_id);
            return Err(e.into());
        }
        Ok((item.name.clone(), attachment))
    })?;
    eprintln!("Added {} ({}) to {item_name}", attachment.name, size(attachment.size));
    Ok(())
}

#[derive(Serialize)]
struct FileJson<'a> {
    name: &'a str,
    id: String,
    size: u64,
    chunks: usize,
    added: String,
    on_this_device: bool,
}

fn ls(ctx: &Ctx, args: &FileLsArgs) -> Result<()> {
    let (_, item) = ctx.view_one(&args.query)?;
    let store = ctx.profile.files();
    if args.json {
        let list: Vec<FileJson<'_>> = item
            .files
            .iter()
            .map(|f| FileJson {
                name: &f.name,
                id: f.file_id.to_string(),
                size: f.size,
                chunks: f.chunks.len(),
                added: output::date(f.added),
                on_this_device: store.has_all(f),
            })
            .collect();
        return output::json(&list);
    }
    if item.files.is_empty() {
        eprintln!("{} has no files; attach one with `hush file add {:?} PATH`.", item.name, item.name);
        return Ok(());
    }
    let width = item.files.iter().map(|f| f.name.chars().count()).max().unwrap_or(0).min(40);
    output::lines(item.files.iter().map(|f| {
        format!(
            "{}  {:<width$}  {:>10}  {}",
            &f.file_id.to_string()[..8],
            f.name,
            size(f.size),
            output::date(f.added)
        )
    }))
}

/// Where `hush file get` writes: a new file (`--output`), or standard output.
enum Destination {
    File { path: PathBuf, temp: tempfile::NamedTempFile },
    Stdout(std::io::StdoutLock<'static>),
}

impl Destination {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Destination::File { temp, .. } => temp.write_all(bytes),
            Destination::Stdout(out) => out.write_all(bytes),
        }
    }
}

/// The path `--output` names: a folder means the attachment's own name inside it.
fn output_path(ctx: &Ctx, output: &Path, file: &Attachment) -> Result<PathBuf> {
    let path = if output.is_dir() { output.join(&file.name) } else { output.to_owned() };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let (Ok(a), Ok(b)) = (parent.canonicalize(), ctx.profile.dir().canonicalize())
        && a.starts_with(&b)
    {
        bail!("refusing to write into hush's own folder {}; choose another path", b.display());
    }
    Ok(path)
}

fn destination(ctx: &Ctx, args: &FileGetArgs, file: &Attachment) -> Result<Destination> {
    let Some(output) = &args.output else {
        if std::io::stdout().is_terminal() && !args.force {
            bail!(
                "refusing to write {} to the terminal: use --output PATH, a pipe (`| less`), or --force",
                file.name
            );
        }
        return Ok(Destination::Stdout(std::io::stdout().lock()));
    };
    let path = output_path(ctx, output, file)?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // In the destination's folder, so that the final rename is atomic; 0600 from the start, and
    // removed if anything fails before it is put in place.
    let temp = tempfile::Builder::new()
        .prefix(".hush-file-")
        .suffix(".tmp")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(parent)
        .with_context(|| format!("cannot create a file in {}", parent.display()))?;
    Ok(Destination::File { path, temp })
}

fn get(ctx: &Ctx, args: &FileGetArgs) -> Result<()> {
    let ring = ctx.key_ring(&ctx.header()?)?;
    let view = ctx.view_with_key(ring.clone())?;
    let id = find_one(&view, &args.query)?;
    let item = view.item(&id).map_err(|e| hush_vault::profile::in_vault_file(&ctx.profile, e))?;
    let file = one_file(&item, &args.name)?.clone();
    let mut dest = destination(ctx, args, &file)?;
    let state = view.state()?;
    let transport = match &state.sync {
        Some(_) => Some(remote::connected_transport(ctx, &state)?),
        None => None,
    };
    let remote = transport.as_ref().and_then(|t| Remote::of(t, &state));
    let account = view.header().account_id();
    let read = hush_sync::files::read(&account, &file, &ctx.profile.files(), remote.as_ref(), &mut |plain| {
        dest.write(plain)
    });
    match read {
        Ok(()) => {}
        Err(ReadError::Sync(SyncError::Tampered(Tampering::FileChunkMissing { file: missing, index }))) => {
            // Another device may have removed the file, and deleted its chunks, after this device
            // last synced: only a state that still references the file makes the gap a lie.
            drop(dest);
            if still_referenced_after_sync(ctx, ring, &id, &missing)? {
                return Err(SyncError::from(Tampering::FileChunkMissing { file: missing, index }).into());
            }
            return Err(anyhow::Error::new(Exit::NotFound(args.name.clone())).context(format!(
                "{} was removed from {} on another device (now synced)",
                file.name, item.name
            )));
        }
        Err(ReadError::Sync(e)) => return Err(e.into()),
        Err(e) => return Err(e.into()),
    }
    match dest {
        Destination::File { path, temp } => {
            temp.as_file().sync_all().with_context(|| format!("cannot write {}", path.display()))?;
            temp.persist(&path).map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error))?;
            eprintln!("Wrote {} ({}) to {}", file.name, size(file.size), path.display());
        }
        Destination::Stdout(mut out) => out.flush()?,
    }
    Ok(())
}

/// Syncs (pull, verify, merge, push, as `hush sync`) and says whether item `id` still references
/// `file` in the state this device then accepts.
fn still_referenced_after_sync(ctx: &Ctx, ring: KeyRing, id: &ItemId, file: &FileId) -> Result<bool> {
    let vault = crate::commands::sync_cmd::sync_once(ctx, ring)?;
    Ok(vault.get(id).is_some_and(|item| item.files.iter().any(|f| f.file_id == *file)))
}

fn rm(ctx: &Ctx, args: &FileRmArgs) -> Result<()> {
    let ring = ctx.key_ring(&ctx.header()?)?;
    if !args.yes && prompt::interactive() {
        let view = ctx.view_with_key(ring.clone())?;
        let id = find_one(&view, &args.query)?;
        let item = view.item(&id)?;
        let file = one_file(&item, &args.name)?;
        if !prompt::confirm(&format!("Remove {} from {}?", file.name, item.name))? {
            bail!("nothing removed");
        }
    }
    let (item_name, file) = ctx.edit_with_key(ring, |editor| {
        let id = find_one(editor, &args.query)?;
        let item = editor.get(&id)?.ok_or_else(|| Exit::NotFound(args.query.clone()))?;
        let file = one_file(&item, &args.name)?.clone();
        editor.update(&id, now(), |i| i.files.retain(|f| f.file_id != file.file_id))?;
        Ok((item.name.clone(), file))
    })?;
    // The item no longer references the file: its chunks here are garbage. The server's go once
    // the change is pushed (docs/attachments.md, "Deleting").
    ctx.profile.files().remove(&file.file_id)?;
    eprintln!("Removed {} from {item_name}", file.name);
    Ok(())
}

//! `hush inject`: a template with `{{ hush://ITEM/FIELD }}` placeholders in, the filled file
//! out, created with mode 0600 (docs/secret-references.md, "hush inject").

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use hush_vault::durable::write_atomic;
use zeroize::Zeroizing;

use crate::cli::InjectArgs;
use crate::commands::resolve::Resolver;
use crate::context::Ctx;
use crate::secret_ref;

/// The largest template read: a configuration file, not a data set.
const MAX_TEMPLATE: u64 = 16 * 1024 * 1024;

/// Runs `hush inject`.
pub(super) fn run(ctx: &Ctx, args: &InjectArgs) -> Result<()> {
    if let Some(out) = &args.output {
        crate::commands::export::refuse_hush_folder(ctx, out)?;
    }
    let template = read_template(args.input.as_deref())?;
    let found = secret_ref::placeholders(&template)
        .with_context(|| args.input.as_ref().map_or("standard input".into(), |p| p.display().to_string()))?;
    let mut resolver = Resolver::new(ctx);
    let values = found.iter().map(|p| resolver.value(&p.reference)).collect::<Result<Vec<_>>>()?;
    let filled = secret_ref::fill(&template, &found, &values);
    match &args.output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(filled.as_bytes())?;
            out.flush()?;
        }
        Some(path) => {
            if args.force {
                write_atomic(path, filled.as_bytes(), None)?;
            } else {
                write_new(path, filled.as_bytes())?;
            }
            eprintln!(
                "Wrote {} ({} value(s) filled in), readable only by you (mode 0600).",
                path.display(),
                found.len()
            );
        }
    }
    Ok(())
}

fn read_template(input: Option<&Path>) -> Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    let what = input.map_or("standard input".into(), |p| p.display().to_string());
    let read = match input {
        Some(path) => std::fs::File::open(path)
            .with_context(|| format!("cannot read {what}"))?
            .take(MAX_TEMPLATE + 1)
            .read_to_string(&mut text),
        None => std::io::stdin().lock().take(MAX_TEMPLATE + 1).read_to_string(&mut text),
    };
    read.with_context(|| format!("cannot read {what} (a template must be UTF-8 text)"))?;
    if text.len() as u64 > MAX_TEMPLATE {
        bail!("{what} is larger than {} MiB; hush inject is for configuration files", MAX_TEMPLATE >> 20);
    }
    Ok(text)
}

/// Writes a new file with mode 0600, never replacing one: the content goes to a temporary
/// file in the same folder, which is then linked to `path` only if nothing is there
/// (`persist_noclobber`), so neither a race nor a crash leaves a partial or readable file.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".hush-inject-")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} exists; pass --force to replace it", path.display())
        }
        Err(e) => Err(e.error).with_context(|| format!("cannot write {}", path.display())),
    }
}

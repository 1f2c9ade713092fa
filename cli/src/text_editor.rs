//! Editing text that holds secrets in the user's editor, as `pass edit` does (issue #10): the
//! text goes into a private temporary file (0600, in a 0700 folder of its own) on a RAM file
//! system — `$XDG_RUNTIME_DIR` (the XDG spec's per-user runtime folder, a tmpfs on systemd
//! systems), else `/dev/shm` — so that it never reaches a disk. Where neither exists, hush asks
//! on a terminal before it uses the temporary folder on disk, and refuses in a script. The
//! editor is `$EDITOR`, then `$VISUAL`, then `vi`. Whatever happens, every file in the folder
//! (the editor's swap and backup files too) is overwritten with zeros and removed afterwards.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use zeroize::Zeroizing;

use crate::prompt;

/// The folder for the temporary file: on a RAM file system if there is one.
fn base_dir() -> Result<PathBuf> {
    let runtime =
        std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).filter(|p| p.is_absolute() && p.is_dir());
    if let Some(dir) = runtime {
        return Ok(dir);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        return Ok(shm.to_owned());
    }
    let disk = std::env::temp_dir();
    let question = format!(
        "There is no RAM folder for the temporary file ($XDG_RUNTIME_DIR is not set and there is no \
         /dev/shm): write it to {} on disk? It is overwritten and removed afterwards, but a disk may keep \
         copies.",
        disk.display()
    );
    if prompt::interactive() && prompt::confirm(&question)? {
        return Ok(disk);
    }
    bail!(
        "there is no RAM folder for the item's temporary file: set XDG_RUNTIME_DIR to a private folder on \
         a tmpfs; nothing was changed"
    )
}

/// The private folder and the file in it; wiped and removed on drop.
struct Scratch {
    dir: PathBuf,
    file: PathBuf,
}

impl Scratch {
    fn create(text: &str, name: &str) -> Result<Scratch> {
        let base = base_dir()?;
        let dir = tempfile::Builder::new()
            .prefix("hush-edit-")
            .tempdir_in(&base)
            .with_context(|| format!("cannot create a private folder in {}", base.display()))?
            .keep();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
        // The item's name only when it is harmless in a path; the editor may show it.
        let safe: String =
            name.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).take(40).collect();
        let file = dir.join(if safe.is_empty() { "item.txt".to_owned() } else { format!("{safe}.txt") });
        let scratch = Scratch { dir, file };
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&scratch.file)
            .with_context(|| format!("cannot create {}", scratch.file.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        Ok(scratch)
    }

    fn read(&self) -> Result<Zeroizing<String>> {
        let bytes = Zeroizing::new(
            fs::read(&self.file).with_context(|| format!("cannot read {}", self.file.display()))?,
        );
        let text = std::str::from_utf8(&bytes).context("the edited text is not UTF-8")?;
        Ok(Zeroizing::new(text.to_owned()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Overwrite before unlinking: a RAM file system frees the pages, a disk may not.
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if let Ok(meta) = fs::symlink_metadata(&path)
                    && meta.is_file()
                    && let Ok(mut f) = OpenOptions::new().write(true).open(&path)
                {
                    let _ = f.write_all(&vec![0; meta.len() as usize]);
                    let _ = f.sync_all();
                }
                let _ = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            }
        }
        let _ = fs::remove_dir(&self.dir);
    }
}

/// The editor command: `$EDITOR`, then `$VISUAL`, then `vi`.
fn editor() -> String {
    ["EDITOR", "VISUAL"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into())
}

/// Opens `text` in the editor until it parses; `None` when the file came back unchanged. A text
/// that does not parse is offered again on a terminal, and abandoned in a script; either way
/// nothing is returned from a text that did not parse.
pub(crate) fn edit<T>(text: &str, name: &str, parse: impl Fn(&str) -> Result<T>) -> Result<Option<T>> {
    let scratch = Scratch::create(text, name)?;
    let editor = editor();
    loop {
        // Through the shell, as git runs its editor: $EDITOR may hold arguments ("code --wait").
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("hush-editor")
            .arg(&scratch.file)
            .status()
            .with_context(|| format!("cannot start the editor {editor:?}"))?;
        if !status.success() {
            bail!("the editor {editor:?} failed ({status}); nothing was written");
        }
        let edited = scratch.read()?;
        if *edited == text {
            return Ok(None);
        }
        match parse(&edited) {
            Ok(value) => return Ok(Some(value)),
            Err(e) if prompt::interactive() => {
                eprintln!("hush: the edited text is not valid: {e:#}");
                if !prompt::confirm("Edit it again? (no: nothing is written)")? {
                    bail!("nothing was written");
                }
            }
            Err(e) => bail!("the edited text is not valid: {e:#}; nothing was written"),
        }
    }
}

//! Where hush keeps its files, and how it writes them without ever losing one
//! (DESIGN.md, "Local state").
//!
//! Writes are crash-safe: a temporary file in the same folder, fsync, rename over the
//! old file, fsync the folder. The previous version stays as `vault.hush.bak` (a hard
//! link to the old inode, so keeping it costs no copy). An exclusive advisory lock on
//! `vault.lock` serialises writers, so parallel `hush` commands never lose an edit.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::VaultError;

/// The files of one hush profile.
#[derive(Debug, Clone)]
pub struct Paths {
    dir: PathBuf,
}

impl Paths {
    /// All files under `dir` (`$HUSH_HOME`, or the platform's data folder).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `vault.hush`.
    pub fn vault(&self) -> PathBuf {
        self.dir.join("vault.hush")
    }

    /// `vault.hush.bak`, the previous version.
    pub fn backup(&self) -> PathBuf {
        self.dir.join("vault.hush.bak")
    }

    /// `vault.lock`, the writers' lock.
    pub fn lock(&self) -> PathBuf {
        self.dir.join("vault.lock")
    }

    /// `account.key`, kept apart from the vault so a copied vault alone is useless.
    pub fn account_key(&self) -> PathBuf {
        self.dir.join("account.key")
    }

    /// Writes `account.key` (mode 0600, atomically): the setup code on one line. The
    /// line is built in a wiped buffer of its final size, so no copy of the account
    /// key is left in freed memory.
    pub fn write_account_key(
        &self,
        account_id: &hush_crypto::AccountId,
        account_key: &hush_crypto::AccountKey,
    ) -> Result<(), VaultError> {
        let code = hush_crypto::SetupCode::encode(account_id, account_key);
        let mut line = zeroize::Zeroizing::new(String::with_capacity(code.len() + 1));
        line.push_str(&code);
        line.push('\n');
        write_atomic(&self.account_key(), line.as_bytes(), None)
    }

    /// `config.toml`.
    pub fn config(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    /// Creates the folder with mode 0700, or tightens an existing one to 0700 (a user
    /// may have created it to write config.toml first; the vault must not then sit in
    /// a folder others can list).
    pub fn ensure_dir(&self) -> Result<(), VaultError> {
        create_private_dir(&self.dir)?;
        #[cfg(unix)]
        {
            let meta = fs::metadata(&self.dir).map_err(VaultError::io(&self.dir))?;
            if meta.permissions().mode() & 0o077 != 0 {
                fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
                    .map_err(VaultError::io(&self.dir))?;
            }
        }
        Ok(())
    }

    /// Takes the exclusive writers' lock, waiting for other writers.
    pub fn lock_exclusive(&self) -> Result<WriteLock, VaultError> {
        self.ensure_dir()?;
        let path = self.lock();
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(VaultError::io(&path))?;
        file.lock().map_err(VaultError::io(&path))?;
        Ok(WriteLock { _file: file })
    }
}

/// Held while a writer reads, modifies and replaces the vault; released on drop.
pub struct WriteLock {
    _file: File,
}

/// Creates a folder (and parents) readable only by the owner.
pub fn create_private_dir(dir: &Path) -> Result<(), VaultError> {
    if !dir.exists() {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(VaultError::io(dir))?;
    }
    Ok(())
}

fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    o.mode(0o600);
    o
}

/// Writes `bytes` to `path` atomically with mode 0600: after a crash, `path` holds
/// either its old content or the new, never a mix. With `backup`, the old file is
/// kept there first.
pub fn write_atomic(path: &Path, bytes: &[u8], backup: Option<&Path>) -> Result<(), VaultError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".hush-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(VaultError::io(dir))?;
    tmp.write_all(bytes).map_err(VaultError::io(tmp.path()))?;
    tmp.as_file().sync_all().map_err(VaultError::io(tmp.path()))?;
    if let Some(bak) = backup
        && path.exists()
    {
        // A hard link keeps the old inode under the backup name without copying it;
        // on file systems without links, copy instead.
        let _ = fs::remove_file(bak);
        if fs::hard_link(path, bak).is_err() {
            fs::copy(path, bak).map_err(VaultError::io(bak))?;
        }
    }
    tmp.persist(path).map_err(|e| VaultError::Io { path: path.to_owned(), source: e.error })?;
    // The rename is durable only once the folder is synced.
    File::open(dir).and_then(|d| d.sync_all()).map_err(VaultError::io(dir))?;
    Ok(())
}

/// Removes temporary files left by writers that were killed mid-write. Only call it
/// while holding the writers' lock: then no live writer owns one of them.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".hush-") && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Reads a whole file, telling "missing" apart.
pub fn read_file(path: &Path) -> Result<Option<Vec<u8>>, VaultError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(VaultError::Io { path: path.to_owned(), source: e }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_keeps_backup_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path().join("home"));
        write_atomic(&paths.vault(), b"one", Some(&paths.backup())).unwrap();
        write_atomic(&paths.vault(), b"two", Some(&paths.backup())).unwrap();
        assert_eq!(fs::read(paths.vault()).unwrap(), b"two");
        assert_eq!(fs::read(paths.backup()).unwrap(), b"one");
        let mode = fs::metadata(paths.vault()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = fs::metadata(paths.dir()).unwrap().permissions().mode() & 0o777;
        assert_eq!(dmode, 0o700);
        // A folder the user made with a looser mode is tightened.
        fs::set_permissions(paths.dir(), fs::Permissions::from_mode(0o755)).unwrap();
        paths.ensure_dir().unwrap();
        assert_eq!(fs::metadata(paths.dir()).unwrap().permissions().mode() & 0o777, 0o700);
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(paths.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}

//! Where hush keeps its files, and how it writes them without ever losing one
//! (DESIGN.md, "Local state").
//!
//! Writes are crash-safe: a temporary file in the same folder, fsync, rename over the
//! old file, fsync the folder. The previous version stays as `vault.hush.bak` (a hard
//! link to the old inode, so keeping it costs no copy), which is itself replaced by a
//! rename, so that a crash at any moment leaves both files (docs/vault-format.md,
//! "Writing safely"). An exclusive advisory lock on `vault.lock` serialises writers, so
//! parallel `hush` commands never lose an edit.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::VaultError;
use crate::error::Recovery;

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
/// either its old content or the new, never a mix. With `backup`, the old file becomes
/// the backup first, also atomically: after a crash at any moment, `backup` holds the
/// previous version or the one before it, and is never missing once it has existed.
pub fn write_atomic(path: &Path, bytes: &[u8], backup: Option<&Path>) -> Result<(), VaultError> {
    write_atomic_until(path, bytes, backup, None)
}

/// The moments between the steps of [`write_atomic`], where a test stops it as a kill
/// would (`write_atomic_until`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The new content is in a synced temporary file.
    TempWritten,
    /// The old file also has a temporary name next to the backup.
    BackupStaged,
    /// The backup is the old file; the new content is not in place yet.
    BackupReplaced,
}

/// [`write_atomic`], stopped before `stop` as if the process were killed there: what
/// was created so far stays on disk, as it would after SIGKILL. Only tests stop it.
fn write_atomic_until(
    path: &Path,
    bytes: &[u8],
    backup: Option<&Path>,
    stop: Option<Step>,
) -> Result<(), VaultError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let mut tmp = temp_builder()
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(VaultError::io(dir))?;
    tmp.write_all(bytes).map_err(VaultError::io(tmp.path()))?;
    tmp.as_file().sync_all().map_err(VaultError::io(tmp.path()))?;
    let killed = |temps: Vec<tempfile::TempPath>| {
        for t in temps {
            let _ = t.keep();
        }
        Ok(())
    };
    if stop == Some(Step::TempWritten) {
        return killed(vec![tmp.into_temp_path()]);
    }
    if let Some(bak) = backup
        && path.exists()
    {
        // The old file gets a second, temporary name, which is then renamed over the
        // backup: the rename replaces the backup in one step. Removing the backup and
        // then linking it again left no backup at all when a writer was killed between
        // the two (issue #9, item 12).
        let staged = stage_backup(path, dir)?;
        if stop == Some(Step::BackupStaged) {
            return killed(vec![tmp.into_temp_path(), staged]);
        }
        staged.persist(bak).map_err(|e| VaultError::Io { path: bak.to_owned(), source: e.error })?;
        if stop == Some(Step::BackupReplaced) {
            return killed(vec![tmp.into_temp_path()]);
        }
    }
    tmp.persist(path).map_err(|e| VaultError::Io { path: path.to_owned(), source: e.error })?;
    // The renames are durable only once the folder is synced. Both are in this folder,
    // and a file system journals them in order; were the backup's rename lost in a
    // power cut, the backup would be one version older, still whole.
    File::open(dir).and_then(|d| d.sync_all()).map_err(VaultError::io(dir))?;
    Ok(())
}

/// Temporary names in hush's folder: `.hush-*.tmp`, which [`remove_stale_temps`]
/// removes when a killed writer left one behind.
fn temp_builder() -> tempfile::Builder<'static, 'static> {
    let mut b = tempfile::Builder::new();
    b.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
    b
}

const TEMP_PREFIX: &str = ".hush-";
const TEMP_SUFFIX: &str = ".tmp";

/// A second name for the file at `path`, temporary (`.hush-*.tmp`) and in `dir`: a
/// hard link, which keeps the old inode without copying it, or on file systems
/// without hard links a synced copy.
fn stage_backup(path: &Path, dir: &Path) -> Result<tempfile::TempPath, VaultError> {
    match temp_builder().make_in(dir, |staged| fs::hard_link(path, staged)) {
        Ok(link) => Ok(link.into_temp_path()),
        Err(_) => copy_to_temp(path, dir),
    }
}

/// A synced copy of the file at `path` under a temporary name in `dir`.
fn copy_to_temp(path: &Path, dir: &Path) -> Result<tempfile::TempPath, VaultError> {
    let mut copy = temp_builder()
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(VaultError::io(dir))?;
    let mut old = File::open(path).map_err(VaultError::io(path))?;
    std::io::copy(&mut old, copy.as_file_mut()).map_err(VaultError::io(copy.path()))?;
    copy.as_file().sync_all().map_err(VaultError::io(copy.path()))?;
    Ok(copy.into_temp_path())
}

/// Replaces `vault.hush.bak` with the current `vault.hush`, atomically (a synced
/// temporary copy renamed over it, then the folder synced): for `hush passwd`, so that
/// no backup that opens with the old master password survives a password change.
///
/// The current file must read as a whole vault file (its structure and its header's
/// checksum; it is not decrypted), so that a damaged vault never replaces a good
/// backup. It is copied rather than linked: until the next write, a link would make
/// the vault and its backup one file on disk, and damage to it would hit both. Call
/// it while holding the writers' lock ([`Paths::lock_exclusive`]), after the save.
pub fn refresh_backup(paths: &Paths) -> Result<(), VaultError> {
    let path = paths.vault();
    let bytes = read_file(&path)?.ok_or_else(|| VaultError::NotFound(path.clone()))?;
    crate::vault_file::RawFile::parse(&bytes).map_err(|e| in_vault_file(paths, e))?;
    write_atomic(&paths.backup(), &bytes, None)
}

/// Removes temporary files (`.hush-*.tmp`: new versions of a file, and staged
/// backups) left by writers that were killed mid-write. Only call it while holding
/// the writers' lock: then no live writer owns one of them.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Says which file an error from reading or opening `vault.hush` concerns, that it was
/// not modified, and what to do: damage ([`VaultError::Corrupt`]) becomes
/// [`VaultError::Damaged`] and a failure to authenticate ([`VaultError::Tampered`])
/// becomes [`VaultError::Unauthentic`], each with the [`Recovery`] found next to the
/// file. Every other error is returned as it is. For callers that read the vault file
/// (the CLI's `Ctx`), not for errors about other data, such as a sync server's.
pub fn in_vault_file(paths: &Paths, err: VaultError) -> VaultError {
    match err {
        VaultError::Corrupt(detail) => {
            VaultError::Damaged { path: paths.vault(), detail, recovery: recovery(paths) }
        }
        VaultError::Tampered => VaultError::Unauthentic { path: paths.vault(), recovery: recovery(paths) },
        other => other,
    }
}

/// What the user can fall back on: `vault.hush.bak`, if it is there and reads as a
/// whole vault file (it is not decrypted: that needs the key, and the error being
/// explained may be that the key does not open the vault).
pub fn recovery(paths: &Paths) -> Recovery {
    let path = paths.backup();
    match read_file(&path) {
        Ok(None) => Recovery::NoBackup(path),
        Ok(Some(bytes)) => match crate::vault_file::RawFile::parse(&bytes) {
            Ok(_) => Recovery::Backup(path),
            Err(VaultError::Corrupt(detail)) => Recovery::BackupDamaged { path, detail },
            Err(e) => Recovery::BackupDamaged { path, detail: e.to_string() },
        },
        Err(e) => Recovery::BackupDamaged { path, detail: e.to_string() },
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
        assert_eq!(fs::metadata(paths.backup()).unwrap().permissions().mode() & 0o777, 0o600);
        let dmode = fs::metadata(paths.dir()).unwrap().permissions().mode() & 0o777;
        assert_eq!(dmode, 0o700);
        // A folder the user made with a looser mode is tightened.
        fs::set_permissions(paths.dir(), fs::Permissions::from_mode(0o755)).unwrap();
        paths.ensure_dir().unwrap();
        assert_eq!(fs::metadata(paths.dir()).unwrap().permissions().mode() & 0o777, 0o700);
        // No temporary file is left behind.
        assert_eq!(names(&paths), ["vault.hush", "vault.hush.bak"]);
    }

    /// The file names in the profile's folder, sorted.
    fn names(paths: &Paths) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(paths.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Issue #9, item 12: a writer killed at any moment leaves both `vault.hush` and
    /// `vault.hush.bak`, each a whole version, and the next writer removes what it
    /// left. Removing the backup and then linking it again lost the backup when the
    /// kill came between the two (11% of killed writes); the e2e test
    /// `killed_writers_always_leave_a_vault_and_a_backup` checks the same with SIGKILL.
    #[test]
    fn a_write_stopped_at_any_step_leaves_the_vault_and_a_whole_backup() {
        for stop in [Step::TempWritten, Step::BackupStaged, Step::BackupReplaced] {
            let dir = tempfile::tempdir().unwrap();
            let paths = Paths::new(dir.path().join("home"));
            let (vault, bak) = (paths.vault(), paths.backup());
            write_atomic(&vault, b"one", Some(&bak)).unwrap();
            write_atomic(&vault, b"two", Some(&bak)).unwrap();
            write_atomic_until(&vault, b"three", Some(&bak), Some(stop)).unwrap();
            assert_eq!(fs::read(&vault).unwrap(), b"two", "{stop:?}");
            let backup = fs::read(&bak).unwrap();
            assert!(backup == b"one" || backup == b"two", "{stop:?}: {backup:?}");
            let temps = names(&paths).into_iter().filter(|n| n.starts_with(".hush-")).count();
            assert_eq!(temps, if stop == Step::BackupStaged { 2 } else { 1 }, "{stop:?}");
            // The next writer, under the lock, removes what the killed one left.
            remove_stale_temps(paths.dir());
            assert_eq!(names(&paths), ["vault.hush", "vault.hush.bak"], "{stop:?}");
            write_atomic(&vault, b"three", Some(&bak)).unwrap();
            assert_eq!(
                (fs::read(&vault).unwrap(), fs::read(&bak).unwrap()),
                (b"three".to_vec(), b"two".to_vec())
            );
        }
    }

    #[test]
    fn the_copy_for_file_systems_without_links_is_whole_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path().join("home"));
        write_atomic(&paths.vault(), b"the old version", None).unwrap();
        let copy = copy_to_temp(&paths.vault(), paths.dir()).unwrap();
        assert!(copy.file_name().unwrap().to_string_lossy().starts_with(".hush-"));
        assert_eq!(fs::read(&copy).unwrap(), b"the old version");
        assert_eq!(fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600);
        copy.persist(paths.backup()).unwrap();
        assert_eq!(fs::read(paths.backup()).unwrap(), b"the old version");
    }

    /// The smallest whole vault file (it parses; nothing in it is decrypted here).
    fn a_vault_file(salt: u8) -> Vec<u8> {
        let header = crate::FileHeader {
            account_id: [1; 16],
            m_kib: 65536,
            t: 3,
            p: 1,
            salt: [salt; 16],
            key_version: 1,
            keyset: vec![3; 77],
            insecure_kdf: false,
        };
        crate::VaultFile { header, items: Vec::new(), state: vec![8; 40] }.to_bytes()
    }

    #[test]
    fn refresh_backup_replaces_it_with_a_copy_of_the_current_vault() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path().join("home"));
        let err = refresh_backup(&paths).err().unwrap();
        assert!(matches!(err, VaultError::NotFound(_)), "{err}");
        let (old, new) = (a_vault_file(1), a_vault_file(2));
        write_atomic(&paths.vault(), &old, Some(&paths.backup())).unwrap();
        write_atomic(&paths.vault(), &new, Some(&paths.backup())).unwrap();
        assert_eq!(fs::read(paths.backup()).unwrap(), old);
        refresh_backup(&paths).unwrap();
        assert_eq!(fs::read(paths.backup()).unwrap(), new);
        // A copy, not a second name of the same file.
        let ino = |p: PathBuf| fs::metadata(p).unwrap().ino();
        assert_ne!(ino(paths.vault()), ino(paths.backup()));
        assert_eq!(fs::metadata(paths.backup()).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(names(&paths), ["vault.hush", "vault.hush.bak"]);
        // A damaged vault never replaces a whole backup.
        let mut damaged = new.clone();
        damaged[20] ^= 1;
        fs::write(paths.vault(), &damaged).unwrap();
        let err = refresh_backup(&paths).err().unwrap();
        assert!(matches!(err, VaultError::Damaged { .. }), "{err}");
        assert_eq!(fs::read(paths.backup()).unwrap(), new);
    }

    #[test]
    fn errors_about_the_vault_file_name_it_and_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path().join("home"));
        paths.ensure_dir().unwrap();
        let vault = paths.vault().display().to_string();
        let bak = paths.backup().display().to_string();
        let damaged = || in_vault_file(&paths, VaultError::Corrupt("the file is truncated".into()));
        let message = damaged().to_string();
        assert!(matches!(damaged(), VaultError::Damaged { recovery: Recovery::NoBackup(_), .. }));
        for part in [
            &vault[..],
            "is damaged (the file is truncated)",
            "not modified",
            "There is no",
            &bak,
            "Recovering",
        ] {
            assert!(message.contains(part), "{part:?} in {message}");
        }
        fs::write(paths.backup(), a_vault_file(1)).unwrap();
        let message = damaged().to_string();
        assert!(matches!(damaged(), VaultError::Damaged { recovery: Recovery::Backup(_), .. }));
        assert!(message.contains(&format!("Your previous version is in {bak}")), "{message}");
        fs::write(paths.backup(), b"hushvlt").unwrap();
        let message = damaged().to_string();
        assert!(matches!(damaged(), VaultError::Damaged { recovery: Recovery::BackupDamaged { .. }, .. }));
        assert!(message.contains(&format!("{bak} is damaged too (the file is truncated)")), "{message}");
        let message = in_vault_file(&paths, VaultError::Tampered).to_string();
        for part in [&vault[..], "failed to authenticate", "not modified", &bak, "Recovering"] {
            assert!(message.contains(part), "{part:?} in {message}");
        }
        // Everything else is left as it is.
        assert!(matches!(in_vault_file(&paths, VaultError::WrongPassword), VaultError::WrongPassword));
    }
}

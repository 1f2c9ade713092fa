//! A hush profile: the folder that holds one vault — `vault.hush`, its backup, `account.key`,
//! `config.toml` and the writers' lock — and the vault's life cycle in it: read, authenticate,
//! edit under the lock, write atomically with a backup (docs/vault-format.md, "Writing
//! safely"). Commands call these and never touch the files themselves.
//!
//! An exclusive advisory lock on `vault.lock` serialises writers, so parallel `hush` commands
//! never lose an edit. Readers take no lock: writers replace the file atomically, so a reader
//! always sees a whole version. Slow work on a vault that was read (a sync) runs without the
//! lock and is written back with [`Profile::commit`] only if the file did not change meanwhile.

use std::fs::{self, File};
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use hush_crypto::{AccountId, AccountKey, KeyRing, SetupCode};
use zeroize::Zeroizing;

use crate::durable::{create_private_dir, lock_file, read_file, write_atomic};
use crate::error::Recovery;
use crate::{Editor, FileHeader, LockedView, Vault, VaultError, VaultFile, VaultView};

/// The files of one hush profile.
#[derive(Debug, Clone)]
pub struct Profile {
    dir: PathBuf,
}

impl Profile {
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
        Ok(WriteLock { _file: lock_file(&self.lock())? })
    }
}

/// Held while a writer reads, modifies and replaces the vault; released on drop.
pub struct WriteLock {
    _file: File,
}

/// Which version of `vault.hush` a vault was read from or written as: the SHA-256 of the
/// file's bytes. [`Profile::commit`] writes only over the version it was given, so that work done
/// without the lock never overwrites another writer's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileVersion([u8; 32]);

impl FileVersion {
    fn of(bytes: &[u8]) -> Self {
        Self(hush_crypto::blob_hash(bytes))
    }
}

/// What [`Profile::update`] did.
pub struct Updated<T> {
    /// What the edit returned.
    pub value: T,
    /// The vault as written and the version written, if the edit changed anything.
    pub saved: Option<(Vault, FileVersion)>,
}

/// What [`Profile::edit`] did.
pub struct Edited<T> {
    /// What the edit returned.
    pub value: T,
    /// The version written, if the edit changed anything.
    pub saved: Option<FileVersion>,
}

/// How to put `account.key` back (docs/vault-format.md, "Recovering").
const ACCOUNT_KEY_FIX: &str = "Write your setup code (HUSH1-…, shown by `hush init`, or by `hush kit` on another \
     device of this account) into it as its only line: see docs/vault-format.md, \"Recovering\"";

impl Profile {
    /// The account id and key from `account.key`. Every failure names the file, says that nothing
    /// was modified and how to put the key back; none repeats the file's content.
    pub fn read_account_key(&self) -> Result<(AccountId, AccountKey), VaultError> {
        let path = self.account_key();
        let bytes = Zeroizing::new(fs::read(&path).map_err(|e| {
            VaultError::AccountKey(format!(
                "cannot read the account key {} ({e}); nothing was modified. {ACCOUNT_KEY_FIX}",
                path.display()
            ))
        })?);
        let damaged = |why: &dyn std::fmt::Display| {
            VaultError::AccountKey(format!(
                "the account key {} is damaged ({why}); nothing was modified. {ACCOUNT_KEY_FIX}",
                path.display()
            ))
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| damaged(&"it is not text"))?;
        SetupCode::parse(text.trim()).map_err(|e| damaged(&e))
    }

    /// The account key of this profile's vault: `account.key` must belong to the account of
    /// `header` (both come from the same setup), else nothing is derived from it.
    pub fn account_key_for(&self, header: &FileHeader) -> Result<AccountKey, VaultError> {
        let (account_id, account_key) = self.read_account_key()?;
        if account_id != header.account_id() {
            return Err(VaultError::AccountKey(format!(
                "{} belongs to another account than {}; they must come from the same setup; nothing was \
                 modified. Put back the account key of this vault (its setup code as the only line), or the \
                 vault of this key: see docs/vault-format.md, \"Recovering\"",
                self.account_key().display(),
                self.vault().display()
            )));
        }
        Ok(account_key)
    }

    /// Says which file an error about `vault.hush` concerns and what to do ([`in_vault_file`]).
    fn about_vault(&self) -> impl Fn(VaultError) -> VaultError + '_ {
        |e| in_vault_file(self, e)
    }

    /// Reads only the cleartext header: enough to find the key (agent or KDF). A damaged
    /// header is reported here, before any key derivation.
    pub fn read_header(&self) -> Result<FileHeader, VaultError> {
        crate::vault_file::read_header_at(&self.vault()).map_err(self.about_vault())
    }

    fn read_bytes(&self) -> Result<Vec<u8>, VaultError> {
        let path = self.vault();
        read_file(&path)?.ok_or(VaultError::NotFound(path))
    }

    /// Reads and parses `vault.hush` without unlocking it, with the version read.
    pub fn read_file(&self) -> Result<(VaultFile, FileVersion), VaultError> {
        let bytes = self.read_bytes()?;
        let file = VaultFile::from_bytes(&bytes).map_err(self.about_vault())?;
        Ok((file, FileVersion::of(&bytes)))
    }

    /// Opens the whole vault with `ring`, decrypting every item, with the version read. No lock
    /// is needed to read.
    pub fn open(&self, ring: KeyRing) -> Result<(Vault, FileVersion), VaultError> {
        let (file, version) = self.read_file()?;
        Ok((Vault::open(&file, ring).map_err(self.about_vault())?, version))
    }

    /// The exact bytes of `vault.hush` and the vault they open to: what an encrypted backup
    /// copies (`hush export --format hush`), so that a copy that would not open is never made.
    pub fn read_authenticated_bytes(&self, ring: KeyRing) -> Result<(Vec<u8>, Vault), VaultError> {
        let bytes = self.read_bytes()?;
        let file = VaultFile::from_bytes(&bytes).map_err(self.about_vault())?;
        let vault = Vault::open(&file, ring).map_err(self.about_vault())?;
        Ok((bytes, vault))
    }

    /// Creates the profile's vault: the folder (0700), `account.key` first (a vault without its
    /// key could not be opened), then `vault.hush`, under the lock. Refuses to replace a vault.
    pub fn create(&self, vault: &Vault, account_key: &AccountKey) -> Result<(), VaultError> {
        self.ensure_dir()?;
        let lock = self.lock_for_writing()?;
        if self.vault().exists() {
            return Err(VaultError::AlreadyExists(self.vault()));
        }
        self.write_account_key(&vault.account_id(), account_key)?;
        self.save(&lock, vault).map(|_| ())
    }

    /// The read-only view of `vault.hush`, before its key is known (to read its header).
    pub fn locked_view(&self) -> Result<LockedView, VaultError> {
        LockedView::read(&self.vault()).map_err(self.about_vault())
    }

    /// Opens `vault.hush` read-only for commands that show one item or a listing: only the item
    /// asked for is decrypted ([`VaultView`]).
    pub fn view(&self, ring: KeyRing) -> Result<VaultView, VaultError> {
        self.locked_view()?.unlock(ring).map_err(self.about_vault())
    }

    /// The one write path for the whole vault (docs/vault-format.md, "Writing safely"): under the
    /// lock, re-read the file so that no concurrent edit is lost, open it with `ring` (a file that
    /// does not authenticate fails here and is never overwritten), apply `edit`, and save when it
    /// reports a change.
    pub fn update<T, E: From<VaultError>>(
        &self,
        ring: KeyRing,
        edit: impl FnOnce(&mut Vault) -> Result<(T, bool), E>,
    ) -> Result<Updated<T>, E> {
        let lock = self.lock_for_writing()?;
        let (mut vault, _) = self.open(ring)?;
        let (value, changed) = edit(&mut vault)?;
        if !changed {
            return Ok(Updated { value, saved: None });
        }
        let version = self.save(&lock, &vault)?;
        Ok(Updated { value, saved: Some((vault, version)) })
    }

    /// Applies a small `edit` (one item: `hush add`, `edit`, `rm`) under the lock without
    /// decrypting the other items ([`Editor`]), and saves it. The same guarantees as
    /// [`update`](Self::update).
    pub fn edit<T, E: From<VaultError>>(
        &self,
        ring: KeyRing,
        edit: impl FnOnce(&mut Editor) -> Result<T, E>,
    ) -> Result<Edited<T>, E> {
        let _lock = self.lock_for_writing()?;
        let mut editor = Editor::open(self.read_bytes()?, ring).map_err(self.about_vault())?;
        let value = edit(&mut editor)?;
        if !editor.is_changed() {
            return Ok(Edited { value, saved: None });
        }
        let bytes = editor.to_bytes();
        write_atomic(&self.vault(), &bytes, Some(&self.backup()))?;
        Ok(Edited { value, saved: Some(FileVersion::of(&bytes)) })
    }

    /// Writes `vault` over `vault.hush` if the file is still at `expected` (what the vault was
    /// read as), under the lock; `Ok(None)` without writing if another writer changed it
    /// meanwhile. For work done without the lock, such as a sync: its result is then simply not
    /// kept, and the next sync does it again (a push the server already has comes back as the
    /// same content and changes nothing; docs/sync.md).
    pub fn commit(&self, vault: &Vault, expected: FileVersion) -> Result<Option<FileVersion>, VaultError> {
        let lock = self.lock_for_writing()?;
        if FileVersion::of(&self.read_bytes()?) != expected {
            return Ok(None);
        }
        self.save(&lock, vault).map(Some)
    }

    /// Writes `vault` over `vault.hush`, keeping the previous version as the backup. Only while
    /// holding the lock, which `lock` proves.
    pub fn save(&self, lock: &WriteLock, vault: &Vault) -> Result<FileVersion, VaultError> {
        let _ = lock;
        let bytes = vault.to_bytes();
        write_atomic(&self.vault(), &bytes, Some(&self.backup()))?;
        Ok(FileVersion::of(&bytes))
    }

    /// Takes the lock and removes what killed writers left: then no live writer owns a
    /// temporary file.
    fn lock_for_writing(&self) -> Result<WriteLock, VaultError> {
        let lock = self.lock_exclusive()?;
        crate::durable::remove_stale_temps(self.dir());
        Ok(lock)
    }
}

/// Replaces `vault.hush.bak` with the current `vault.hush`, atomically (a synced
/// temporary copy renamed over it, then the folder synced): for `hush passwd`, so that
/// no backup that opens with the old master password survives a password change.
///
/// The current file must read as a whole vault file (its structure and its header's
/// checksum; it is not decrypted), so that a damaged vault never replaces a good
/// backup. It is copied rather than linked: until the next write, a link would make
/// the vault and its backup one file on disk, and damage to it would hit both. Call
/// it while holding the writers' lock ([`Profile::lock_exclusive`]), after the save.
pub fn refresh_backup(paths: &Profile, _lock: &WriteLock) -> Result<(), VaultError> {
    let path = paths.vault();
    let bytes = read_file(&path)?.ok_or_else(|| VaultError::NotFound(path.clone()))?;
    crate::vault_file::RawFile::parse(&bytes).map_err(|e| in_vault_file(paths, e))?;
    write_atomic(&paths.backup(), &bytes, None)
}

/// Says which file an error from reading or opening `vault.hush` concerns, that it was
/// not modified, and what to do: damage ([`VaultError::Corrupt`]) becomes
/// [`VaultError::Damaged`] and a failure to authenticate ([`VaultError::Tampered`])
/// becomes [`VaultError::Unauthentic`], each with the [`Recovery`] found next to the
/// file. Every other error is returned as it is. For callers that read the vault file
/// (the CLI's `Ctx`), not for errors about other data, such as a sync server's.
pub fn in_vault_file(paths: &Profile, err: VaultError) -> VaultError {
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
pub fn recovery(paths: &Profile) -> Recovery {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::tests::names;
    use crate::durable::write_atomic;

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
        let paths = Profile::new(dir.path().join("home"));
        let err = refresh_backup(&paths, &paths.lock_exclusive().unwrap()).err().unwrap();
        assert!(matches!(err, VaultError::NotFound(_)), "{err}");
        let (old, new) = (a_vault_file(1), a_vault_file(2));
        write_atomic(&paths.vault(), &old, Some(&paths.backup())).unwrap();
        write_atomic(&paths.vault(), &new, Some(&paths.backup())).unwrap();
        assert_eq!(fs::read(paths.backup()).unwrap(), old);
        refresh_backup(&paths, &paths.lock_exclusive().unwrap()).unwrap();
        assert_eq!(fs::read(paths.backup()).unwrap(), new);
        // A copy, not a second name of the same file.
        let ino = |p: PathBuf| fs::metadata(p).unwrap().ino();
        assert_ne!(ino(paths.vault()), ino(paths.backup()));
        assert_eq!(fs::metadata(paths.backup()).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(names(&paths), ["vault.hush", "vault.hush.bak", "vault.lock"]);
        // A damaged vault never replaces a whole backup.
        let mut damaged = new.clone();
        damaged[20] ^= 1;
        fs::write(paths.vault(), &damaged).unwrap();
        let err = refresh_backup(&paths, &paths.lock_exclusive().unwrap()).err().unwrap();
        assert!(matches!(err, VaultError::Damaged { .. }), "{err}");
        assert_eq!(fs::read(paths.backup()).unwrap(), new);
    }

    #[test]
    fn errors_about_the_vault_file_name_it_and_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Profile::new(dir.path().join("home"));
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

    /// A profile holding a fresh vault with one item.
    fn profile_with_a_vault() -> (tempfile::TempDir, Profile, KeyRing) {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::new(dir.path().join("home"));
        let weak = hush_crypto::KdfParams { m_kib: 64, t: 1, p: 1 };
        let (mut vault, ak) = Vault::create("pw", weak, hush_crypto::FloorPolicy::AllowInsecure).unwrap();
        vault.add(crate::Item::new(crate::ItemKind::Login, "first", 1));
        profile.create(&vault, &ak).unwrap();
        let ring = vault.ring().clone();
        (dir, profile, ring)
    }

    /// Work done without the lock (a sync) is written only over the version it read: another
    /// writer's change in between is never overwritten (docs/sync.md).
    #[test]
    fn commit_writes_only_over_the_version_it_read() {
        let (_dir, profile, ring) = profile_with_a_vault();
        let (mut slow, read) = profile.open(ring.clone()).unwrap();
        slow.add(crate::Item::new(crate::ItemKind::Login, "from the slow writer", 2));
        // Another writer comes in between.
        let other = profile
            .update(ring.clone(), |v| {
                v.add(crate::Item::new(crate::ItemKind::Login, "from the other writer", 3));
                Ok::<_, VaultError>(((), true))
            })
            .unwrap();
        let (_, written) = other.saved.unwrap();
        assert_ne!(written, read);
        assert_eq!(profile.commit(&slow, read).unwrap(), None, "stale: not written");
        let (now, version) = profile.open(ring.clone()).unwrap();
        assert_eq!(version, written);
        assert!(now.search("other writer").len() == 1 && now.search("slow writer").is_empty());
        // Against the current version it is written.
        let (mut fresh, read) = profile.open(ring.clone()).unwrap();
        fresh.add(crate::Item::new(crate::ItemKind::Login, "second try", 4));
        let committed = profile.commit(&fresh, read).unwrap().unwrap();
        assert_eq!(profile.open(ring).unwrap().1, committed);
    }

    /// An update or an edit that changes nothing writes nothing (not even a backup).
    #[test]
    fn changes_that_change_nothing_write_nothing() {
        let (_dir, profile, ring) = profile_with_a_vault();
        let before = fs::read(profile.vault()).unwrap();
        assert!(!profile.backup().exists());
        let updated = profile.update(ring.clone(), |_| Ok::<_, VaultError>((7, false))).unwrap();
        assert_eq!((updated.value, updated.saved.is_none()), (7, true));
        let edited = profile.edit(ring, |_| Ok::<_, VaultError>(8)).unwrap();
        assert_eq!((edited.value, edited.saved), (8, None));
        assert_eq!(fs::read(profile.vault()).unwrap(), before);
        assert!(!profile.backup().exists());
    }

    #[test]
    fn create_refuses_to_replace_a_vault_and_writes_the_account_key_first() {
        let (_dir, profile, ring) = profile_with_a_vault();
        let (vault, _) = profile.open(ring).unwrap();
        let (id, _) = profile.read_account_key().unwrap();
        assert_eq!(id, vault.account_id());
        let err = profile.create(&vault, &AccountKey::generate()).err().unwrap();
        assert!(matches!(err, VaultError::AlreadyExists(_)), "{err}");
        assert_eq!(profile.read_account_key().unwrap().0, id, "the account key is untouched");
        let header = profile.read_header().unwrap();
        assert!(profile.account_key_for(&header).is_ok());
        fs::write(
            profile.account_key(),
            format!("{}\n", *SetupCode::encode(&AccountId([9; 16]), &AccountKey::generate())),
        )
        .unwrap();
        let err = profile.account_key_for(&header).err().unwrap();
        assert!(err.to_string().contains("belongs to another account"), "{err}");
    }
}

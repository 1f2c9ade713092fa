//! What every command needs: where the files are, the settings, and the vault,
//! unlocked through the agent or the master password.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use hush_crypto::{AccountKey, KeyRing, SetupCode};
use hush_vault::store::{self, Paths};
use hush_vault::{
    Editor, FileHeader, ItemKind, ItemLookup, Matches, Vault, VaultError, VaultFile, VaultView,
};
use zeroize::Zeroizing;

use crate::cli::Cli;
use crate::config::Config;
use crate::exit::Exit;
use crate::prompt;

/// How to put `account.key` back (docs/vault-format.md, "Recovering").
const ACCOUNT_KEY_FIX: &str = "Write your setup code (HUSH1-…, shown by `hush init`, or by `hush kit` on another \
     device of this account) into it as its only line: see docs/vault-format.md, \"Recovering\"";

/// The state shared by the commands of one invocation.
pub struct Ctx {
    /// The profile's files.
    pub paths: Paths,
    /// The settings.
    pub config: Config,
    /// `--password-file`, if given.
    pub password_file: Option<PathBuf>,
    /// Whether the agent may be used.
    pub use_agent: bool,
}

/// What proving the master password yields.
pub struct Derived {
    /// The account key from `account.key`.
    pub account_key: AccountKey,
    /// The keys derived from the password and the account key (kek, auth key).
    pub keys: hush_crypto::DerivedKeys,
    /// The key ring, unwrapped from the keyset.
    pub ring: KeyRing,
}

/// Where hush keeps its files: `$HUSH_HOME`, else the platform's data folder.
pub fn home_dir() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("HUSH_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    let dirs = directories::ProjectDirs::from("", "", "hush")
        .ok_or_else(|| anyhow!("cannot find your home folder; set HUSH_HOME"))?;
    Ok(dirs.data_dir().to_owned())
}

impl Ctx {
    /// Resolves paths and reads the settings.
    pub fn new(cli: &Cli) -> Result<Ctx> {
        let paths = Paths::new(home_dir()?);
        let config = Config::load(&paths.config())?;
        Ok(Ctx { paths, config, password_file: cli.password_file.clone(), use_agent: !cli.no_agent })
    }

    /// The master password, from `--password-file` or a prompt.
    pub fn master_password(&self) -> Result<Zeroizing<String>> {
        match &self.password_file {
            Some(path) => prompt::first_line_of(path),
            None => prompt::secret("Master password: "),
        }
    }

    /// A new master password (init, passwd): from a file, or asked twice.
    pub fn new_master_password(&self, file: Option<&PathBuf>) -> Result<Zeroizing<String>> {
        let pw = match file {
            Some(path) => prompt::first_line_of(path)?,
            None => prompt::new_secret("master password")?,
        };
        if pw.is_empty() {
            bail!("the master password cannot be empty");
        }
        Ok(pw)
    }

    /// The account key from `account.key`. Every failure names the file, says that
    /// nothing was modified and how to put the key back (docs/vault-format.md,
    /// "Recovering"); none repeats the file's content.
    pub fn account_key(&self) -> Result<(hush_crypto::AccountId, AccountKey)> {
        let path = self.paths.account_key();
        let bytes = Zeroizing::new(std::fs::read(&path).map_err(|e| {
            anyhow!(
                "cannot read the account key {} ({e}); nothing was modified. {ACCOUNT_KEY_FIX}",
                path.display()
            )
        })?);
        let damaged = |why: &dyn std::fmt::Display| {
            anyhow!(
                "the account key {} is damaged ({why}); nothing was modified. {ACCOUNT_KEY_FIX}",
                path.display()
            )
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| damaged(&"it is not text"))?;
        SetupCode::parse(text.trim()).map_err(|e| damaged(&e))
    }

    /// Turns an error from reading or opening `vault.hush` into one that names the
    /// file, says it was not modified and what to do ([`store::in_vault_file`]). Only
    /// for errors about the vault file, never about what a server sent.
    pub fn in_vault_file(&self) -> impl Fn(VaultError) -> VaultError + '_ {
        |e| store::in_vault_file(&self.paths, e)
    }

    /// Reads only the vault file's cleartext header (enough to find the key). A
    /// damaged header is reported here, before any key derivation.
    pub fn header(&self) -> Result<FileHeader> {
        Ok(hush_vault::vault_file::read_header_at(&self.paths.vault()).map_err(self.in_vault_file())?)
    }

    /// Reads and parses the vault file without unlocking it.
    pub fn read_file(&self) -> Result<VaultFile> {
        let path = self.paths.vault();
        let bytes = store::read_file(&path)?.ok_or_else(|| VaultError::NotFound(path.clone()))?;
        Ok(VaultFile::from_bytes(&bytes).map_err(self.in_vault_file())?)
    }

    /// Reads the vault file and opens it with `key`, decrypting every item.
    pub fn open_with_key(&self, key: KeyRing) -> Result<Vault> {
        Ok(Vault::open(&self.read_file()?, key).map_err(self.in_vault_file())?)
    }

    /// The key ring: from the agent when one holds this vault's current ring, else by running
    /// the KDF. (An agent unlocked before a password change holds an older ring; it is not
    /// used, and the password is asked for.)
    pub fn key_ring(&self, header: &FileHeader) -> Result<KeyRing> {
        if self.use_agent
            && let Some(ring) = crate::agent::client::fetch_key(&self.paths, &header.account_id())
            && ring.current_version() == header.key_version
        {
            return Ok(ring);
        }
        self.derive_ring(header)
    }

    /// Runs the KDF with the master password and unwraps the key ring.
    pub fn derive_ring(&self, header: &FileHeader) -> Result<KeyRing> {
        Ok(self.derive_keys(header)?.ring)
    }

    /// Proves the master password: reads `account.key` (which must belong to this
    /// vault), runs the KDF and unwraps the vault key. The one place that does, for
    /// every command that needs the password rather than the agent's key.
    pub fn derive_keys(&self, header: &FileHeader) -> Result<Derived> {
        let (account_id, account_key) = self.account_key()?;
        if account_id != header.account_id() {
            bail!(
                "{} belongs to another account than {}; they must come from the same setup; nothing was \
                 modified. Put back the account key of this vault (its setup code as the only line), or the \
                 vault of this key: see docs/vault-format.md, \"Recovering\"",
                self.paths.account_key().display(),
                self.paths.vault().display()
            );
        }
        if header.insecure_kdf {
            eprintln!("warning: this vault uses KDF parameters below the safe minimum (--insecure-kdf)");
        }
        let password = self.master_password()?;
        let (keys, ring) = Vault::unlock(header, &password, &account_key)?;
        Ok(Derived { account_key, keys, ring })
    }

    /// Opens the vault for reading. No lock is needed: writers replace the file
    /// atomically, so a reader always sees a whole version.
    pub fn open(&self) -> Result<Vault> {
        let file = self.read_file()?;
        let key = self.key_ring(&file.header)?;
        Ok(Vault::open(&file, key).map_err(self.in_vault_file())?)
    }

    /// Opens the vault read-only for commands that show one item or a listing: only
    /// the item asked for is decrypted (see `hush_vault::VaultView`).
    pub fn view(&self) -> Result<VaultView> {
        let locked = hush_vault::LockedView::read(&self.paths.vault()).map_err(self.in_vault_file())?;
        let key = self.key_ring(locked.header())?;
        Ok(locked.unlock(key).map_err(self.in_vault_file())?)
    }

    /// The read-only view with a key the caller already holds (so a command that
    /// first shows and then edits asks for the master password once).
    pub fn view_with_key(&self, key: KeyRing) -> Result<VaultView> {
        let locked = hush_vault::LockedView::read(&self.paths.vault()).map_err(self.in_vault_file())?;
        Ok(locked.unlock(key).map_err(self.in_vault_file())?)
    }

    /// Finds one item through the read-only view and decrypts just that item.
    pub fn view_one(&self, query: &str) -> Result<(hush_crypto::ItemId, hush_vault::Item)> {
        let view = self.view()?;
        let id = find_one(&view, query)?;
        Ok((id, view.item(&id).map_err(self.in_vault_file())?))
    }

    /// The one write path (docs/vault-format.md, "Writing safely"): under the lock,
    /// re-read the file so that no concurrent edit is lost, open it with `key` (a file
    /// that does not authenticate fails here and is never overwritten), apply `edit`,
    /// and save when it reports a change — then sync if `[sync] auto` is on.
    pub fn update_with_key<T>(
        &self,
        key: KeyRing,
        edit: impl FnOnce(&mut Vault) -> Result<(T, bool)>,
    ) -> Result<T> {
        self.write(key, edit, true)
    }

    /// [`update_with_key`](Self::update_with_key) for the commands that talk to the server
    /// themselves (sync, login, register, passwd): no automatic sync afterwards.
    pub fn update_connected<T>(
        &self,
        key: KeyRing,
        edit: impl FnOnce(&mut Vault) -> Result<(T, bool)>,
    ) -> Result<T> {
        self.write(key, edit, false)
    }

    fn write<T>(
        &self,
        key: KeyRing,
        edit: impl FnOnce(&mut Vault) -> Result<(T, bool)>,
        auto_sync: bool,
    ) -> Result<T> {
        let _lock = self.paths.lock_exclusive()?;
        store::remove_stale_temps(self.paths.dir());
        let file = self.read_file()?;
        let mut vault = Vault::open(&file, key).map_err(self.in_vault_file())?;
        let (out, changed) = edit(&mut vault)?;
        if changed {
            self.save(&vault)?;
            if auto_sync && crate::remote::auto_sync(self, &mut vault)? {
                self.save(&vault)?;
            }
        }
        Ok(out)
    }

    /// Applies a small `edit` (one item: `hush add`, `edit`, `rm`) under the writers'
    /// lock without decrypting the other items ([`hush_vault::Editor`]), and saves it.
    pub fn edit<T>(&self, edit: impl FnOnce(&mut Editor) -> Result<T>) -> Result<T> {
        let key = self.key_ring(&self.header()?)?;
        self.edit_with_key(key, edit)
    }

    /// [`edit`](Self::edit) with a key the caller already holds. The same write path
    /// as [`update_with_key`](Self::update_with_key): a file that does not
    /// authenticate is refused and never overwritten.
    pub fn edit_with_key<T>(&self, key: KeyRing, edit: impl FnOnce(&mut Editor) -> Result<T>) -> Result<T> {
        let _lock = self.paths.lock_exclusive()?;
        store::remove_stale_temps(self.paths.dir());
        let path = self.paths.vault();
        let bytes = store::read_file(&path)?.ok_or_else(|| VaultError::NotFound(path.clone()))?;
        let mut editor = Editor::open(bytes, key).map_err(self.in_vault_file())?;
        let out = edit(&mut editor)?;
        if !editor.is_changed() {
            return Ok(out);
        }
        let bytes = editor.to_bytes();
        store::write_atomic(&path, &bytes, Some(&self.paths.backup()))?;
        // Sync needs the whole vault; open it only when it will sync.
        if self.config.sync.auto && editor.state().sync.is_some() {
            let mut vault = Vault::open(&VaultFile::from_bytes(&bytes)?, editor.ring().clone())?;
            if crate::remote::auto_sync(self, &mut vault)? {
                self.save(&vault)?;
            }
        }
        Ok(out)
    }

    /// Writes the vault (callers hold the lock).
    pub fn save(&self, vault: &Vault) -> Result<()> {
        let bytes = vault.to_bytes();
        store::write_atomic(&self.paths.vault(), &bytes, Some(&self.paths.backup()))?;
        Ok(())
    }
}

/// Resolves a query to exactly one item, or explains why not.
pub fn find_one(vault: &impl ItemLookup, query: &str) -> Result<hush_crypto::ItemId> {
    match vault.find(query) {
        Matches::One(id) => Ok(id),
        Matches::None => Err(Exit::NotFound(query.to_owned()).into()),
        Matches::Many(ids) => {
            let list = ids
                .iter()
                .filter_map(|id| vault.entry(id).map(|e| (id, e)))
                .map(|(id, e)| {
                    let who = if e.username.is_empty() { String::new() } else { format!("  {}", e.username) };
                    format!("  {}  {}{who}", &id.to_string()[..8], e.name)
                })
                .collect::<Vec<_>>()
                .join("\n");
            Err(Exit::Ambiguous { query: query.to_owned(), list }.into())
        }
    }
}

/// Parses a `--kind` value.
pub fn parse_kind(kind: &str) -> Result<ItemKind> {
    kind.parse().map_err(|e: String| anyhow!(e))
}

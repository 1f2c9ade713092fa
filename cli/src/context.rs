//! What every command needs: where the files are, the settings, and the vault,
//! unlocked through the agent or the master password.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use hush_crypto::{AccountKey, KeyRing};
use hush_vault::{Editor, FileHeader, FileVersion, ItemLookup, Matches, Profile, Scope, Vault, VaultView};
use zeroize::Zeroizing;

use crate::cli::Cli;
use crate::config::Config;
use crate::exit::Exit;
use crate::prompt;

/// The state shared by the commands of one invocation.
pub struct Ctx {
    /// The profile: its files and the vault's life cycle in it.
    pub profile: Profile,
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
        let profile = Profile::new(home_dir()?);
        let config = Config::load(&profile.config())?;
        Ok(Ctx { profile, config, password_file: cli.password_file.clone(), use_agent: !cli.no_agent })
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

    /// The account id and key from `account.key`.
    pub fn account_key(&self) -> Result<(hush_crypto::AccountId, AccountKey)> {
        Ok(self.profile.read_account_key()?)
    }

    /// Reads only the vault file's cleartext header (enough to find the key). A damaged header is
    /// reported here, before any key derivation.
    pub fn header(&self) -> Result<FileHeader> {
        Ok(self.profile.read_header()?)
    }

    /// The key ring: from the agent when one holds this vault's current ring, else by running
    /// the KDF. (An agent unlocked before a password change holds an older ring; it is not
    /// used, and the password is asked for.)
    pub fn key_ring(&self, header: &FileHeader) -> Result<KeyRing> {
        if self.use_agent
            && let Some(ring) = crate::agent::client::fetch_key(&self.profile, &header.account_id())
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

    /// Proves the master password: reads `account.key` (which must belong to this vault), runs
    /// the KDF and unwraps the key ring. The one place that does, for every command that needs
    /// the password rather than the agent's key.
    pub fn derive_keys(&self, header: &FileHeader) -> Result<Derived> {
        let account_key = self.profile.account_key_for(header)?;
        if header.insecure_kdf {
            eprintln!("warning: this vault uses KDF parameters below the safe minimum (--insecure-kdf)");
        }
        let password = self.master_password()?;
        let (keys, ring) = Vault::unlock(header, &password, &account_key)?;
        Ok(Derived { account_key, keys, ring })
    }

    /// Opens the whole vault for reading.
    pub fn open(&self) -> Result<Vault> {
        let ring = self.key_ring(&self.header()?)?;
        self.open_with_key(ring)
    }

    /// Opens the whole vault with a key the caller already holds.
    pub fn open_with_key(&self, ring: KeyRing) -> Result<Vault> {
        Ok(self.profile.open(ring)?.0)
    }

    /// Opens the vault read-only for commands that show one item or a listing: only the item
    /// asked for is decrypted (see `hush_vault::VaultView`).
    pub fn view(&self) -> Result<VaultView> {
        let locked = self.profile.locked_view()?;
        let ring = self.key_ring(locked.header())?;
        Ok(self.profile.view(ring)?)
    }

    /// The read-only view with a key the caller already holds (so a command that first shows and
    /// then edits asks for the master password once).
    pub fn view_with_key(&self, ring: KeyRing) -> Result<VaultView> {
        Ok(self.profile.view(ring)?)
    }

    /// Finds one item in use through the read-only view (offering the picker on a terminal when
    /// several match) and decrypts just that item.
    pub fn view_one(&self, query: &str) -> Result<(hush_crypto::ItemId, hush_vault::Item)> {
        self.view_one_in(query, Scope::Live)
    }

    /// [`view_one`](Self::view_one) among the items of `scope`.
    pub fn view_one_in(&self, query: &str, scope: Scope) -> Result<(hush_crypto::ItemId, hush_vault::Item)> {
        let view = self.view()?;
        let id = choose_one(&view, query, scope)?;
        Ok((id, view.item(&id).map_err(|e| hush_vault::profile::in_vault_file(&self.profile, e))?))
    }

    /// Applies `edit` to the whole vault and saves it when it reports a change
    /// ([`Profile::update`]); then, with the lock released, syncs if `[sync] auto` is on.
    pub fn update_with_key<T>(
        &self,
        ring: KeyRing,
        edit: impl FnOnce(&mut Vault) -> Result<(T, bool)>,
    ) -> Result<T> {
        let updated = self.profile.update(ring, |vault| {
            let (value, changed) = edit(vault)?;
            if changed {
                for name in vault.purge_expired_trash(hush_vault::now()) {
                    eprintln!("{name}: 30 days in the trash are over; deleted for good");
                }
            }
            Ok::<_, anyhow::Error>((value, changed))
        })?;
        if let Some((vault, version)) = updated.saved {
            self.auto_sync(vault, version)?;
        }
        Ok(updated.value)
    }

    /// [`update_with_key`](Self::update_with_key) for the commands that talk to the server
    /// themselves (login, register, passwd, logout): no automatic sync afterwards.
    pub fn update_connected<T>(
        &self,
        ring: KeyRing,
        edit: impl FnOnce(&mut Vault) -> Result<(T, bool)>,
    ) -> Result<T> {
        Ok(self.profile.update(ring, edit)?.value)
    }

    /// Applies a small `edit` (one item: `hush add`, `edit`, `rm`, …) without decrypting the other
    /// items ([`hush_vault::Editor`]), with a key the caller already holds, and saves it if it
    /// changed anything; then, with the lock released, syncs if `[sync] auto` is on.
    ///
    /// A write that happens anyway also deletes for good the items whose 30 days in the trash
    /// are over (issue #10, "A trash"); nothing is ever written for that alone.
    pub fn edit_with_key<T>(&self, ring: KeyRing, edit: impl FnOnce(&mut Editor) -> Result<T>) -> Result<T> {
        let edited = self.profile.edit(ring.clone(), |vault| {
            let value = edit(vault)?;
            if vault.is_changed() {
                for name in vault.purge_expired_trash(hush_vault::now())? {
                    eprintln!("{name}: 30 days in the trash are over; deleted for good");
                }
            }
            Ok::<_, anyhow::Error>(value)
        })?;
        // Sync needs the whole vault; open it only when it will sync, and only the version just
        // written (another writer may have come in between: its own sync covers both).
        if let Some(version) = edited.saved
            && self.config.sync.auto
        {
            let (vault, read) = self.profile.open(ring)?;
            if read == version && vault.state().sync.is_some() {
                self.auto_sync(vault, version)?;
            }
        }
        Ok(edited.value)
    }

    /// The automatic sync after a saved change, without the lock: the network must not hold up
    /// other `hush` commands. Its result is written only over the version just saved
    /// ([`Profile::commit`]); if another writer came in between, the next sync does it again.
    fn auto_sync(&self, mut vault: Vault, version: FileVersion) -> Result<()> {
        if crate::remote::auto_sync(self, &mut vault)? {
            self.profile.commit(&vault, version)?;
        }
        Ok(())
    }
}

/// Resolves a query to exactly one item in use, or explains why not; never asks (for use under
/// the writers' lock, where nobody should wait for a person to choose).
pub fn find_one(vault: &impl ItemLookup, query: &str) -> Result<hush_crypto::ItemId> {
    find_one_in(vault, query, Scope::Live)
}

/// [`find_one`] among the items of `scope`.
pub fn find_one_in(vault: &impl ItemLookup, query: &str, scope: Scope) -> Result<hush_crypto::ItemId> {
    resolve(vault, query, scope, false)
}

/// Resolves a query to one item of `scope`; when several match and a person is at the terminal,
/// they choose in the picker (issue #10); a script gets exit 4 and the list.
pub fn choose_one(vault: &impl ItemLookup, query: &str, scope: Scope) -> Result<hush_crypto::ItemId> {
    resolve(vault, query, scope, prompt::interactive())
}

fn resolve(vault: &impl ItemLookup, query: &str, scope: Scope, ask: bool) -> Result<hush_crypto::ItemId> {
    match vault.find_in(query, scope) {
        Matches::One(id) => Ok(id),
        Matches::None if scope == Scope::Trash => Err(Exit::NotInTrash(query.to_owned()).into()),
        Matches::None if vault.find_in(query, Scope::Trash) != Matches::None => {
            Err(Exit::InTrash(query.to_owned()).into())
        }
        Matches::None => Err(Exit::NotFound(query.to_owned()).into()),
        Matches::Many(ids) if ask => {
            let candidates: Vec<_> = ids.iter().filter_map(|id| vault.entry(id).map(|e| (*id, e))).collect();
            let prompt = format!("{} items match {query:?}; choose one", candidates.len());
            crate::picker::pick(&prompt, &candidates)?.ok_or_else(|| anyhow!("nothing chosen; nothing done"))
        }
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

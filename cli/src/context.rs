//! What every command needs: where the files are, the settings, and the vault,
//! unlocked through the agent or the master password.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use hush_crypto::{AccountId, AccountKey, AuthKey, KdfParams, KeyRing};
use hush_vault::{Editor, FileHeader, FileVersion, ItemLookup, Matches, Profile, Scope, Vault, VaultView};
use zeroize::Zeroizing;

use crate::cli::Cli;
use crate::config::{AgentAutostart, Config};
use crate::exit::Exit;
use crate::{agent, master_password, output, prompt};

/// The state shared by the commands of one invocation.
pub(crate) struct Ctx {
    /// The profile: its files and the vault's life cycle in it.
    pub profile: Profile,
    /// The settings.
    pub config: Config,
    /// The file the settings were read from (it may not exist).
    pub config_path: PathBuf,
    /// `--password-file`, if given.
    pub password_file: Option<PathBuf>,
    /// Whether the agent may be used.
    pub use_agent: bool,
    /// Whether the master password may be asked on the terminal (`/dev/tty`) when standard
    /// input is not one: for `hush git-credential`, whose standard input is git's request.
    pub tty_prompt: bool,
}

/// What proving the master password yields.
pub(crate) struct Derived {
    /// The account key from `account.key`.
    pub account_key: AccountKey,
    /// The keys derived from the password and the account key (kek, auth key).
    pub keys: hush_crypto::DerivedKeys,
    /// The key ring, unwrapped from the keyset.
    pub ring: KeyRing,
}

/// How many master passwords typed at a terminal may be tried before a command gives up with
/// exit 5 (issue #10, point 4). A password from `--password-file` is tried once: a script must
/// fail at once, not wait for a terminal it does not have.
pub(crate) const PASSWORD_TRIES: u32 = 3;

/// `$HUSH_HOME`, when set: every file of hush in one folder.
fn hush_home() -> Option<PathBuf> {
    std::env::var_os("HUSH_HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

/// Where hush keeps its files: `$HUSH_HOME`, else the platform's data folder.
pub(crate) fn home_dir() -> Result<PathBuf> {
    if let Some(home) = hush_home() {
        return Ok(home);
    }
    Ok(project_dirs()?.data_dir().to_owned())
}

fn project_dirs() -> Result<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "hush")
        .ok_or_else(|| anyhow!("cannot find your home folder; set HUSH_HOME"))
}

/// Where `config.toml` is read from (`crate::config::locate`), and the note to print about it.
fn config_location(data_dir: &Path) -> Result<crate::config::Located> {
    match hush_home() {
        Some(home) => Ok(crate::config::locate(Some(&home), &home, &home)),
        None => Ok(crate::config::locate(None, project_dirs()?.config_dir(), data_dir)),
    }
}

impl Ctx {
    /// Resolves paths and reads the settings.
    pub(crate) fn new(cli: &Cli) -> Result<Ctx> {
        let profile = Profile::new(home_dir()?);
        let located = config_location(profile.dir())?;
        if let Some(note) = &located.note {
            eprintln!("{note}");
        }
        let config = Config::load(&located.path)?;
        Ok(Ctx {
            profile,
            config,
            config_path: located.path,
            password_file: cli.password_file.clone(),
            use_agent: !cli.no_agent,
            tty_prompt: false,
        })
    }

    /// The master password, from `--password-file` or a prompt.
    pub(crate) fn master_password(&self) -> Result<Zeroizing<String>> {
        match &self.password_file {
            Some(path) => prompt::first_line_of(path),
            None if self.tty_prompt && !prompt::interactive() => {
                prompt::secret_on_tty("hush master password: ")
            }
            None => prompt::secret("Master password: "),
        }
    }

    /// Runs `attempt` with the master password until it is right: up to [`PASSWORD_TRIES`]
    /// typed at a terminal, each wrong one said and asked again; one from `--password-file`.
    /// A password is wrong when `attempt` fails with exit 5 (`crate::exit::classify`); any
    /// other error ends the command at once.
    pub(crate) fn with_master_password<T>(&self, mut attempt: impl FnMut(&str) -> Result<T>) -> Result<T> {
        let tries = if self.password_file.is_none() && prompt::interactive() { PASSWORD_TRIES } else { 1 };
        let mut tried = 1;
        loop {
            let password = self.master_password()?;
            match attempt(&password) {
                Err(e) if tried < tries && crate::exit::is_wrong_password(&e) => {
                    let left = tries - tried;
                    eprintln!(
                        "Wrong master password; try again ({left} {} left).",
                        if left == 1 { "try" } else { "tries" }
                    );
                    tried += 1;
                }
                result => return result,
            }
        }
    }

    /// A new master password (init, passwd): from a file, or asked twice. Refused when it is
    /// too easy to guess under `params` (issue #10, point 1): a file's with an error, a typed
    /// one by asking again, unless `allow_weak` (`--insecure-weak-password`) says otherwise.
    pub(crate) fn new_master_password(
        &self,
        file: Option<&PathBuf>,
        params: &KdfParams,
        allow_weak: bool,
    ) -> Result<Zeroizing<String>> {
        let refusal = |pw: &str| {
            if allow_weak {
                None
            } else {
                master_password::refusal(&master_password::estimate(pw, params), params)
            }
        };
        let pw = match file {
            Some(path) => {
                let pw = prompt::first_line_of(path)?;
                if pw.is_empty() {
                    bail!("the master password cannot be empty");
                }
                if let Some(why) = refusal(&pw) {
                    bail!("{why}\n({} skips this check: for tests only.)", master_password::OVERRIDE_FLAG);
                }
                pw
            }
            None => prompt::new_secret_checked("master password", refusal)?,
        };
        eprintln!("{}", master_password::verdict(&master_password::estimate(&pw, params)));
        Ok(pw)
    }

    /// The account id and key from `account.key`.
    pub(crate) fn account_key(&self) -> Result<(hush_crypto::AccountId, AccountKey)> {
        Ok(self.profile.read_account_key()?)
    }

    /// Reads only the vault file's cleartext header (enough to find the key). A damaged header is
    /// reported here, before any key derivation.
    pub(crate) fn header(&self) -> Result<FileHeader> {
        Ok(self.profile.read_header()?)
    }

    /// The key ring: from the agent when one holds this vault's current ring, else by running
    /// the KDF. (An agent unlocked before a password change holds an older ring; it is not
    /// used, and the password is asked for.)
    pub(crate) fn key_ring(&self, header: &FileHeader) -> Result<KeyRing> {
        if let Some(keys) = self.agent_keys(header) {
            return Ok(keys.ring);
        }
        Ok(self.derive_keys(header)?.ring)
    }

    /// What the agent holds for this vault's current keyset, if it is running, allowed
    /// (`--no-agent`), and unlocked for this vault.
    pub(crate) fn agent_keys(&self, header: &FileHeader) -> Option<agent::client::AgentKeys> {
        if !self.use_agent {
            return None;
        }
        agent::client::fetch_keys(&self.profile, &header.account_id())
            .filter(|keys| keys.ring.current_version() == header.key_version)
    }

    /// The key ring and the server auth key (`hush register`): from the agent when it holds
    /// both for this vault, else from the master password.
    pub(crate) fn server_keys(&self, header: &FileHeader) -> Result<(KeyRing, AuthKey, AccountKey)> {
        if let Some(agent::client::AgentKeys { ring, auth: Some(auth) }) = self.agent_keys(header) {
            return Ok((ring, auth, self.profile.account_key_for(header)?));
        }
        let Derived { account_key, keys, ring } = self.derive_keys(header)?;
        Ok((ring, keys.auth, account_key))
    }

    /// Proves the master password ([`prove_password`](Self::prove_password)) and then, as
    /// configured, leaves the keys with the agent so that the next command does not ask again
    /// ([`keep_in_agent`](Self::keep_in_agent)).
    pub(crate) fn derive_keys(&self, header: &FileHeader) -> Result<Derived> {
        let derived = self.prove_password(header)?;
        self.keep_in_agent(&header.account_id(), &derived.ring, Some(&derived.keys.auth));
        Ok(derived)
    }

    /// Proves the master password: reads `account.key` (which must belong to this vault), runs
    /// the KDF and unwraps the key ring, asking again after a mistyped password on a terminal.
    /// The one place that does, for every command that needs the password rather than the
    /// agent's key.
    pub(crate) fn prove_password(&self, header: &FileHeader) -> Result<Derived> {
        let account_key = self.profile.account_key_for(header)?;
        if header.insecure_kdf {
            eprintln!("warning: this vault uses KDF parameters below the safe minimum (--insecure-kdf)");
        }
        let (keys, ring) = self.with_master_password(|pw| Ok(Vault::unlock(header, pw, &account_key)?))?;
        Ok(Derived { account_key, keys, ring })
    }

    /// Whether a master password just asked for is left with the agent: never with
    /// `--no-agent`; else as `agent_autostart` in config.toml says (by default only when it
    /// was typed at a terminal, not read from `--password-file`).
    pub(crate) fn autostarts_agent(&self) -> bool {
        self.use_agent
            && match self.config.agent_autostart {
                AgentAutostart::Terminal => self.password_file.is_none(),
                AgentAutostart::Always => true,
                AgentAutostart::Never => false,
            }
    }

    /// After the master password was asked for, hands the keys to the agent (started in the
    /// background if none runs) for `agent_timeout` seconds of inactivity, so that the next
    /// command does not ask again, as rbw and gpg-agent do (issue #10, point 3;
    /// docs/agent-and-clipboard.md, "Starting by itself"). Nothing here fails the command: if
    /// the agent cannot take the keys, the next command asks again, and the user is told why.
    pub(crate) fn keep_in_agent(&self, account_id: &AccountId, ring: &KeyRing, auth: Option<&AuthKey>) {
        if !self.autostarts_agent() || self.config.agent_timeout == 0 {
            return;
        }
        let socket = match agent::socket_path(&self.profile, true) {
            Ok(Some(socket)) => socket,
            Ok(None) => return,
            Err(e) => {
                eprintln!("note: the key is not kept for the next command: {e:#}");
                return;
            }
        };
        let timeout = self.config.agent_timeout;
        match agent::client::hand_over(&socket, account_id, ring, auth, timeout) {
            Ok(handed) => {
                for w in &handed.warnings {
                    eprintln!("warning: {w}");
                }
                if handed.newly_unlocked {
                    eprintln!(
                        "Unlocked: the next commands skip the master password; locks after {} without use \
                         (`hush lock` locks now; agent_autostart in {} turns this off).",
                        output::duration(timeout),
                        self.config_path.display()
                    );
                }
            }
            Err(e) => eprintln!("note: the key is not kept for the next command: {e:#}"),
        }
    }

    /// Opens the whole vault for reading.
    pub(crate) fn open(&self) -> Result<Vault> {
        let ring = self.key_ring(&self.header()?)?;
        self.open_with_key(ring)
    }

    /// Opens the whole vault with a key the caller already holds.
    pub(crate) fn open_with_key(&self, ring: KeyRing) -> Result<Vault> {
        Ok(self.profile.open(ring)?.0)
    }

    /// Opens the vault read-only for commands that show one item or a listing: only the item
    /// asked for is decrypted (see `hush_vault::VaultView`).
    pub(crate) fn view(&self) -> Result<VaultView> {
        let locked = self.profile.locked_view()?;
        let ring = self.key_ring(locked.header())?;
        Ok(self.profile.view(ring)?)
    }

    /// The read-only view with a key the caller already holds (so a command that first shows and
    /// then edits asks for the master password once).
    pub(crate) fn view_with_key(&self, ring: KeyRing) -> Result<VaultView> {
        Ok(self.profile.view(ring)?)
    }

    /// Finds one item in use through the read-only view (offering the picker on a terminal when
    /// several match) and decrypts just that item.
    pub(crate) fn view_one(&self, query: &str) -> Result<(hush_crypto::ItemId, hush_vault::Item)> {
        self.view_one_in(query, Scope::Live)
    }

    /// [`view_one`](Self::view_one) among the items of `scope`.
    pub(crate) fn view_one_in(
        &self,
        query: &str,
        scope: Scope,
    ) -> Result<(hush_crypto::ItemId, hush_vault::Item)> {
        let view = self.view()?;
        let id = choose_one(&view, query, scope)?;
        Ok((id, view.item(&id).map_err(|e| hush_vault::profile::in_vault_file(&self.profile, e))?))
    }

    /// Applies `edit` to the whole vault and saves it when it reports a change
    /// ([`Profile::update`]); then, with the lock released, syncs if `[sync] auto` is on.
    pub(crate) fn update_with_key<T>(
        &self,
        ring: KeyRing,
        edit: impl FnOnce(&mut Vault) -> Result<(T, bool)>,
    ) -> Result<T> {
        let mut purged = false;
        let updated = self.profile.update(ring.clone(), |vault| {
            let (value, changed) = edit(vault)?;
            if changed {
                for name in vault.purge_expired_trash(hush_vault::now()) {
                    eprintln!("{name}: 30 days in the trash are over; deleted for good");
                    purged = true;
                }
            }
            Ok::<_, anyhow::Error>((value, changed))
        })?;
        if purged {
            self.profile.prune_files(ring)?;
        }
        if let Some((vault, version)) = updated.saved {
            self.auto_sync(vault, version)?;
        }
        Ok(updated.value)
    }

    /// [`update_with_key`](Self::update_with_key) for the commands that talk to the server
    /// themselves (login, register, passwd, logout): no automatic sync afterwards.
    pub(crate) fn update_connected<T>(
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
    /// are over (issue #10, "A trash"), and their attached files from `files/`; nothing is ever
    /// written for that alone.
    pub(crate) fn edit_with_key<T>(
        &self,
        ring: KeyRing,
        edit: impl FnOnce(&mut Editor) -> Result<T>,
    ) -> Result<T> {
        let mut purged = false;
        let edited = self.profile.edit(ring.clone(), |vault| {
            let value = edit(vault)?;
            if vault.is_changed() {
                for name in vault.purge_expired_trash(hush_vault::now())? {
                    eprintln!("{name}: 30 days in the trash are over; deleted for good");
                    purged = true;
                }
            }
            Ok::<_, anyhow::Error>(value)
        })?;
        // The files of items deleted for good go with them (docs/attachments.md, "Deleting").
        if purged {
            self.profile.prune_files(ring.clone())?;
        }
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
pub(crate) fn find_one(vault: &impl ItemLookup, query: &str) -> Result<hush_crypto::ItemId> {
    find_one_in(vault, query, Scope::Live)
}

/// [`find_one`] among the items of `scope`.
pub(crate) fn find_one_in(vault: &impl ItemLookup, query: &str, scope: Scope) -> Result<hush_crypto::ItemId> {
    resolve(vault, query, vault.find_in(query, scope), scope, false)
}

/// Resolves a query to one item of `scope`; when several match and a person is at the terminal,
/// they choose in the picker (issue #10); a script gets exit 4 and the list.
pub(crate) fn choose_one(vault: &impl ItemLookup, query: &str, scope: Scope) -> Result<hush_crypto::ItemId> {
    resolve(vault, query, vault.find_in(query, scope), scope, prompt::interactive())
}

/// The one item in use of `matches` (what `query` found in `vault` by some other rule than
/// [`ItemLookup::find`], e.g. a secret reference's exact name), or the error that says none or
/// which several: exit 3 or 4, with the candidates listed; never asks.
pub(crate) fn one_of(vault: &impl ItemLookup, query: &str, matches: Matches) -> Result<hush_crypto::ItemId> {
    resolve(vault, query, matches, Scope::Live, false)
}

fn resolve(
    vault: &impl ItemLookup,
    query: &str,
    matches: Matches,
    scope: Scope,
    ask: bool,
) -> Result<hush_crypto::ItemId> {
    match matches {
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

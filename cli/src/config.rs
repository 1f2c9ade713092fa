//! `config.toml`: user settings. Every key is optional; missing ones take defaults.
//!
//! Where it lives (issue #10, point 13; README, "Configuration"): `$HUSH_HOME/config.toml` when
//! `HUSH_HOME` is set (one folder for everything), else `$XDG_CONFIG_HOME/hush/config.toml`
//! (`~/.config/hush/config.toml`), beside but apart from the data in `$XDG_DATA_HOME/hush`. A
//! `config.toml` left in the data folder by an older hush is moved to the config folder once,
//! with a note that says so ([`locate`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Config {
    /// Seconds before a copied secret is cleared from the clipboard.
    pub clipboard_clear_after: u64,
    /// Seconds of inactivity after which the agent forgets the key and exits.
    pub agent_timeout: u64,
    /// When a command that asked for the master password hands the key to the agent.
    pub agent_autostart: AgentAutostart,
    /// Default generated password length.
    pub generator_length: usize,
    /// Whether generated passwords contain symbols by default.
    pub generator_symbols: bool,
    /// Sync settings.
    pub sync: SyncConfig,
    /// `hush ssh-agent` settings.
    pub ssh_agent: SshAgentConfig,
    /// `hush git-credential` settings.
    pub git_credential: GitCredentialConfig,
    /// Attached files.
    pub files: FilesConfig,
}

/// The `[ssh_agent]` table (docs/ssh-agent.md, "Confirmation").
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SshAgentConfig {
    /// Ask before every signature, through `askpass`. Nobody to ask means no signature.
    pub confirm: bool,
    /// The program that asks, following OpenSSH's `SSH_ASKPASS` convention (it is run with
    /// `SSH_ASKPASS_PROMPT=confirm` and the question as its argument; exit status 0 with an
    /// empty or "yes" answer allows). Default: `$SSH_ASKPASS` of the agent's environment.
    pub askpass: Option<std::path::PathBuf>,
    /// Seconds to wait for an answer before refusing.
    pub confirm_timeout: Option<u64>,
}

/// The `[git_credential]` table (docs/git-credential.md).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct GitCredentialConfig {
    /// Save what git reports as working (`store`): a new login, or a new password for the one
    /// login that matches. Off by default: `store` and `erase` then do nothing.
    pub store: bool,
}

/// The `[files]` table (docs/attachments.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct FilesConfig {
    /// The largest file `hush file add` accepts, in MiB.
    pub max_size_mib: u64,
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig { max_size_mib: hush_vault::DEFAULT_MAX_FILE_BYTES >> 20 }
    }
}

impl FilesConfig {
    /// The limit in bytes.
    pub(crate) fn max_bytes(&self) -> u64 {
        self.max_size_mib.saturating_mul(1 << 20)
    }
}

/// `agent_autostart`: when a command that had to ask for the master password leaves the key
/// with the agent for `agent_timeout` (docs/agent-and-clipboard.md, "Starting by itself").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AgentAutostart {
    /// After a password typed at a terminal prompt (the default): a person is there, and the
    /// next command should not ask again. A script's `--password-file` leaves nothing behind.
    #[default]
    Terminal,
    /// After any master password, `--password-file` included.
    Always,
    /// Never; only `hush unlock` starts the agent.
    Never,
}

/// The `[sync]` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SyncConfig {
    /// Sync after every change when the server is reachable.
    pub auto: bool,
    /// A PEM file of extra CA certificates to trust for the server.
    pub ca_file: Option<PathBuf>,
    /// Seconds to wait for the server to accept a connection, and then for each answer
    /// (docs/sync.md, "A slow or frozen server").
    pub timeout: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig { auto: false, ca_file: None, timeout: DEFAULT_SYNC_TIMEOUT_SECS }
    }
}

/// The default of `[sync] timeout`: long enough for a server on the other side of the world
/// over a poor link, short enough that a frozen server is given up on before the user does.
pub(crate) const DEFAULT_SYNC_TIMEOUT_SECS: u64 = 10;

impl Default for Config {
    fn default() -> Self {
        Config {
            clipboard_clear_after: 20,
            agent_timeout: 15 * 60,
            agent_autostart: AgentAutostart::default(),
            generator_length: 24,
            generator_symbols: true,
            sync: SyncConfig::default(),
            ssh_agent: SshAgentConfig::default(),
            git_credential: GitCredentialConfig::default(),
            files: FilesConfig::default(),
        }
    }
}

impl Config {
    /// Reads `path`, or the defaults when it does not exist.
    pub(crate) fn load(path: &Path) -> Result<Config> {
        let config: Config = match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Config::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        if config.sync.timeout == 0 {
            anyhow::bail!("{}: [sync] timeout must be at least 1 second", path.display());
        }
        Ok(config)
    }
}

/// Where the settings are read from, and what the user should hear about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    /// The file to read (it may not exist: the defaults then apply).
    pub path: PathBuf,
    /// A note for stderr: a file moved, or one that is ignored.
    pub note: Option<String>,
}

/// Finds `config.toml`. `single_folder` is `$HUSH_HOME` when set (everything in one folder);
/// otherwise `config_dir` is the XDG config folder and `data_dir` the data folder, where an
/// older hush kept its settings.
///
/// An old `data_dir/config.toml` with no new one is moved to `config_dir` once (the data folder
/// is 0700; the config folder is created 0700 too, since the file may name a CA to trust). If
/// the move fails, the old file is read and the note says why and what to do. If both exist,
/// the new one wins and the note says the old one is ignored, on every run, until it is gone.
pub(crate) fn locate(single_folder: Option<&Path>, config_dir: &Path, data_dir: &Path) -> Located {
    if let Some(dir) = single_folder {
        return Located { path: dir.join(CONFIG_FILE), note: None };
    }
    let new = config_dir.join(CONFIG_FILE);
    let old = data_dir.join(CONFIG_FILE);
    // On systems where both folders are one (macOS), there is nothing to move.
    if new == old || !old.exists() {
        return Located { path: new, note: None };
    }
    if new.exists() {
        let note = format!(
            "note: ignoring {} (an older hush's place for it); settings are read from {}. Remove the old file.",
            old.display(),
            new.display()
        );
        return Located { path: new, note: Some(note) };
    }
    match move_file(&old, &new) {
        Ok(()) => Located {
            note: Some(format!(
                "note: moved your settings from {} to {}, where hush keeps them from now on.",
                old.display(),
                new.display()
            )),
            path: new,
        },
        Err(e) => Located {
            note: Some(format!(
                "note: reading {} (an older hush's place for it), which could not be moved to {}: {e:#}. Move it there yourself.",
                old.display(),
                new.display()
            )),
            path: old,
        },
    }
}

const CONFIG_FILE: &str = "config.toml";

/// Moves `from` to `to`, creating `to`'s folder (0700); across file systems by copy and remove.
fn move_file(from: &Path, to: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = to.parent().context("the config folder has no parent")?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to).with_context(|| format!("cannot copy to {}", to.display()))?;
    std::fs::remove_file(from).with_context(|| format!("cannot remove {}", from.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hush_home_keeps_the_settings_in_its_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let found = locate(Some(tmp.path()), &tmp.path().join("c"), &tmp.path().join("d"));
        assert_eq!(found, Located { path: tmp.path().join("config.toml"), note: None });
    }

    #[test]
    fn an_old_config_in_the_data_folder_is_moved_once() {
        let tmp = tempfile::tempdir().unwrap();
        let (config, data) = (tmp.path().join("config/hush"), tmp.path().join("data/hush"));
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("config.toml"), "agent_timeout = 60\n").unwrap();
        let found = locate(None, &config, &data);
        assert_eq!(found.path, config.join("config.toml"));
        assert!(found.note.unwrap().contains("moved"));
        assert!(!data.join("config.toml").exists());
        assert_eq!(Config::load(&found.path).unwrap().agent_timeout, 60);
        // Once moved, nothing more is said.
        assert_eq!(locate(None, &config, &data).note, None);
    }

    #[test]
    fn with_both_files_the_new_one_wins_and_the_old_one_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let (config, data) = (tmp.path().join("c"), tmp.path().join("d"));
        std::fs::create_dir_all(&config).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(config.join("config.toml"), "").unwrap();
        std::fs::write(data.join("config.toml"), "").unwrap();
        let found = locate(None, &config, &data);
        assert_eq!(found.path, config.join("config.toml"));
        assert!(found.note.unwrap().contains("ignoring"));
        assert!(data.join("config.toml").exists(), "the old file is not deleted");
    }

    #[test]
    fn the_defaults_and_the_new_keys_parse() {
        let c: Config = toml::from_str("agent_autostart = \"never\"\n[sync]\ntimeout = 3\n").unwrap();
        assert_eq!(c.agent_autostart, AgentAutostart::Never);
        assert_eq!(c.sync.timeout, 3);
        let d = Config::default();
        assert_eq!(d.agent_autostart, AgentAutostart::Terminal);
        assert_eq!(d.sync.timeout, DEFAULT_SYNC_TIMEOUT_SECS);
        assert!(toml::from_str::<Config>("agent_autostart = \"sometimes\"").is_err());
    }
}

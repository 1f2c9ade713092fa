//! `config.toml`: user settings. Every key is optional; missing ones take defaults.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seconds before a copied secret is cleared from the clipboard.
    pub clipboard_clear_after: u64,
    /// Seconds of inactivity after which the agent forgets the key and exits.
    pub agent_timeout: u64,
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
}

/// The `[ssh_agent]` table (docs/ssh-agent.md, "Confirmation").
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SshAgentConfig {
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
pub struct GitCredentialConfig {
    /// Save what git reports as working (`store`): a new login, or a new password for the one
    /// login that matches. Off by default: `store` and `erase` then do nothing.
    pub store: bool,
}

/// The `[sync]` table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Sync after every change when the server is reachable.
    pub auto: bool,
    /// A PEM file of extra CA certificates to trust for the server.
    pub ca_file: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            clipboard_clear_after: 20,
            agent_timeout: 15 * 60,
            generator_length: 24,
            generator_symbols: true,
            sync: SyncConfig::default(),
            ssh_agent: SshAgentConfig::default(),
            git_credential: GitCredentialConfig::default(),
        }
    }
}

impl Config {
    /// Reads `path`, or the defaults when it does not exist.
    pub fn load(path: &Path) -> Result<Config> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).with_context(|| format!("{} is not valid", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }
}

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
    /// Attached files.
    pub files: FilesConfig,
}

/// The `[files]` table (docs/attachments.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilesConfig {
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
    pub fn max_bytes(&self) -> u64 {
        self.max_size_mib.saturating_mul(1 << 20)
    }
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
            files: FilesConfig::default(),
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

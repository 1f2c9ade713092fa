//! The command line: parsed and validated here, with no I/O (ripgrep's two stages).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  something was found that needs attention (audit findings, rotations pending)
  2  error (bad usage, I/O, wrong password, ...)
  3  no item matches the query
  4  the query matches several items (they are listed on stderr)
  5  wrong master password
  6  tampering detected: the data failed to authenticate

Environment:
  HUSH_HOME   keep every file of hush under this folder (tests, several profiles)
  NO_COLOR    disable colours";

/// hush: a password manager for people who live in a terminal.
///
/// Every item is encrypted on this machine with a key derived from your master
/// password and a secret account key; nothing readable ever leaves it.
#[derive(Debug, Parser)]
#[command(name = "hush", version, about, long_about = None, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    /// Read the master password from the first line of this file instead of
    /// prompting (for scripts; keep the file private). Never pass a password as an
    /// argument: other users can read a process's arguments.
    #[arg(long, global = true, value_name = "PATH")]
    pub password_file: Option<PathBuf>,

    /// Do not use or start the agent for this command.
    #[arg(long, global = true)]
    pub no_agent: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new vault and print its setup code.
    Init(InitArgs),
    /// Add an item.
    #[command(after_help = "Examples:\n  hush add github --username me --url github.com --generate\n  \
        printf '%s' \"$PW\" | hush add bank --password-stdin\n  \
        hush add aws --totp 'otpauth://totp/AWS:me?secret=JBSWY3DPEHPK3PXP'")]
    Add(AddArgs),
    /// Show an item, or one field of it.
    #[command(
        after_help = "Examples:\n  hush get github                    readable view, password hidden\n  \
        hush get github --field password   the password alone, for $(...)\n  \
        hush get github --json             the whole item as JSON"
    )]
    Get(GetArgs),
    /// List items, optionally only those matching a query.
    Ls(LsArgs),
    /// Change any field of an item.
    Edit(EditArgs),
    /// Delete an item (it syncs as a deletion).
    Rm(RmArgs),
    /// Show an item's previous passwords with the dates they were replaced.
    History(HistoryArgs),
    /// Print an item's current TOTP code.
    Totp(TotpArgs),
    /// Generate a random password or passphrase (no vault needed).
    Gen(GenArgs),
    /// Change the master password.
    Passwd(PasswdArgs),
    /// Print the setup code again (after checking the master password).
    Kit,
}

/// KDF parameter choices for `init` and `passwd`.
#[derive(Debug, Args, Clone)]
pub struct KdfArgs {
    /// Argon2id memory in MiB (default 256; minimum 64).
    #[arg(long, value_name = "MIB")]
    pub kdf_memory_mib: Option<u32>,
    /// Argon2id passes (default 3; minimum 3).
    #[arg(long, value_name = "N")]
    pub kdf_iterations: Option<u32>,
    /// Argon2id lanes (default 4).
    #[arg(long, value_name = "N")]
    pub kdf_parallelism: Option<u32>,
    /// Allow parameters below the minimum. For tests only: a vault made this way
    /// is cheap to attack if the vault file and account key are stolen.
    #[arg(long)]
    pub insecure_kdf: bool,
}

/// `hush init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub kdf: KdfArgs,
}

/// Generator options shared by `gen`, `add --generate` and `edit --generate`.
#[derive(Debug, Args, Clone, Default)]
pub struct GenOptions {
    /// Password length.
    #[arg(long, short = 'l', value_name = "N")]
    pub length: Option<usize>,
    /// No symbols.
    #[arg(long)]
    pub no_symbols: bool,
    /// No digits.
    #[arg(long)]
    pub no_digits: bool,
    /// No upper-case letters.
    #[arg(long)]
    pub no_uppercase: bool,
    /// No lower-case letters.
    #[arg(long)]
    pub no_lowercase: bool,
    /// Exclude look-alike characters such as 0/O and 1/l/I.
    #[arg(long)]
    pub no_ambiguous: bool,
    /// Only these symbols (e.g. a site that allows only "-_!").
    #[arg(long, value_name = "CHARS")]
    pub symbols: Option<String>,
    /// A passphrase of N words from the EFF large wordlist instead of a password.
    #[arg(long, value_name = "N")]
    pub words: Option<usize>,
    /// Word separator for passphrases.
    #[arg(long, value_name = "SEP", requires = "words")]
    pub separator: Option<String>,
    /// Capitalise each word of a passphrase.
    #[arg(long, requires = "words")]
    pub capitalize: bool,
}

/// Fields settable by `add` and `edit`.
#[derive(Debug, Args, Clone, Default)]
pub struct ItemFields {
    /// User name or e-mail address.
    #[arg(long, short = 'u')]
    pub username: Option<String>,
    /// A URL of the site (repeat for several; `edit` replaces the list).
    #[arg(long = "url", value_name = "URL")]
    pub urls: Vec<String>,
    /// Notes.
    #[arg(long)]
    pub notes: Option<String>,
    /// TOTP secret: Base32, or an otpauth://totp/ URI.
    #[arg(long, value_name = "SECRET|URI")]
    pub totp: Option<String>,
    /// A custom field KEY=VALUE (repeat for several).
    #[arg(long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,
    /// A hidden custom field KEY=VALUE, shown like a password.
    #[arg(long = "hidden-field", value_name = "KEY=VALUE")]
    pub hidden_fields: Vec<String>,
    /// A tag (repeat for several; `edit` replaces the list).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Generate a new random password (see the generator options).
    #[arg(long, short = 'g')]
    pub generate: bool,
    /// Read the password from the first line of standard input.
    #[arg(long, conflicts_with = "generate")]
    pub password_stdin: bool,
    #[command(flatten)]
    pub gen_options: GenOptions,
}

/// `hush add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The item's name.
    pub name: String,
    /// What kind of item.
    #[arg(long, default_value = "login", value_parser = ["login", "note", "card", "totp-only"])]
    pub kind: String,
    #[command(flatten)]
    pub fields: ItemFields,
}

/// `hush get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Name, URL host, user name, tag, or id prefix.
    pub query: String,
    /// Print only this field: password, username, url, notes, totp, name, id, or a custom field.
    #[arg(long, short = 'f', value_name = "FIELD")]
    pub field: Option<String>,
    /// Print the whole item as JSON (includes secrets).
    #[arg(long, conflicts_with = "field")]
    pub json: bool,
    /// Show the password and hidden fields in the readable view.
    #[arg(long)]
    pub show: bool,
}

/// `hush ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Only items matching this.
    pub query: Option<String>,
    /// JSON output (names, ids and metadata; no secrets).
    #[arg(long)]
    pub json: bool,
}

/// `hush edit`.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The item to edit.
    pub query: String,
    /// A new name.
    #[arg(long)]
    pub name: Option<String>,
    /// A new kind.
    #[arg(long, value_parser = ["login", "note", "card", "totp-only"])]
    pub kind: Option<String>,
    /// Ask for a new password on the terminal.
    #[arg(long, conflicts_with_all = ["generate", "password_stdin"])]
    pub prompt_password: bool,
    /// Remove the TOTP secret.
    #[arg(long, conflicts_with = "totp")]
    pub clear_totp: bool,
    /// Remove a custom field by name (repeatable).
    #[arg(long, value_name = "KEY")]
    pub remove_field: Vec<String>,
    #[command(flatten)]
    pub fields: ItemFields,
}

/// `hush rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// The item to delete.
    pub query: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `hush history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The item.
    pub query: String,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// `hush totp`.
#[derive(Debug, Args)]
pub struct TotpArgs {
    /// The item.
    pub query: String,
}

/// `hush gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    #[command(flatten)]
    pub options: GenOptions,
}

/// `hush passwd`.
#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// Read the new master password from the first line of this file.
    #[arg(long, value_name = "PATH")]
    pub new_password_file: Option<PathBuf>,
    #[command(flatten)]
    pub kdf: KdfArgs,
}

/// Output formats shared by listing commands.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
}

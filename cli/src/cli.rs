//! The command line: parsed and validated here, with no I/O (ripgrep's two stages).
// The doc comments of this module are `--help` text, which clap prints as written: a URL there
// is for a terminal, not a hyperlink, and `ID<TAB>NAME` is a line format, not HTML.
#![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::engine::ArgValueCompleter;

use crate::commands::completions::{item_names, trash_names};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  something was found that needs attention (audit findings, rotations pending),
     or `status`: the vault is not unlocked
  2  error (bad usage, I/O, a damaged vault file or account.key, ...)
  3  no item matches the query
  4  the query matches several items (they are listed on stderr)
  5  wrong master password
  6  tampering detected: the data failed to authenticate (or was damaged where no
     checksum tells; see docs/vault-format.md, \"Recovering\")

Finding items: a query is an item's exact name (case included; another case only when no name
matches exactly), a part of a name, user name, URL host or tag, the first 6 or more characters
of its id (as `hush ls` shows them), or a page's URL (`hush get https://github.com/login` finds
the item saved for github.com). On a terminal, a query that matches several items opens a
picker; in a script it exits 4 and lists them.

Files:
  config.toml in $XDG_CONFIG_HOME/hush (~/.config/hush); the vault in $XDG_DATA_HOME/hush
  (~/.local/share/hush)

Environment:
  HUSH_HOME   keep every file of hush, config.toml included, under this folder (tests,
              several profiles)
  EDITOR      the editor of `hush edit NAME --editor` (then VISUAL, then vi)
  NO_COLOR    disable colours";

/// hush: a password manager for people who live in a terminal.
///
/// Every item is encrypted on this machine with a key derived from your master
/// password and a secret account key; nothing readable ever leaves it.
#[derive(Debug, Parser)]
#[command(name = "hush", version, about, long_about = None, after_help = EXIT_CODES, max_term_width = 100)]
pub(crate) struct Cli {
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

/// How `add` and `edit` share standard input between the options that read it
/// (`commands::fields::read_dash_values`; e2e test
/// `values_from_standard_input_come_in_the_documented_order`).
macro_rules! stdin_order {
    () => {
        "Standard input is read in this order: the password's line (--password-stdin), the TOTP \
         secret's line (--totp -), one line per --hidden-field KEY=- in the order given, then the \
         notes (--notes -) to the end. Values given directly (--totp VALUE, --hidden-field KEY=VALUE, \
         --notes TEXT) are visible to other local users (ps); hush warns about each."
    };
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a new vault and print its setup code.
    #[command(after_help = "The master password must be hard to guess: hush estimates it with zxcvbn and \
        refuses one that someone holding this device's files could find with less than 100 GPU-years of \
        work, and says why. `hush gen --words 6` makes a passphrase that passes.\n\n\
        On a terminal, the key is then kept by the agent (agent_timeout in config.toml), so the next \
        commands do not ask again; `hush lock` forgets it.")]
    Init(InitArgs),
    /// Add an item.
    #[command(after_help = concat!("Examples:\n  hush add github --username me --url github.com --generate\n  \
        printf '%s' \"$PW\" | hush add bank --password-stdin\n  \
        hush add aws --totp -              asks for the TOTP secret (or reads it from stdin)\n  \
        hush add server --kind note --notes - < notes.txt\n  \
        hush add router --no-password --url http://192.168.1.1\n\n\
        A login needs a password: --generate, --password-stdin, or on a terminal typed (empty generates \
        one); --no-password adds it without. Notes, cards and TOTP-only items need none. A name \
        that another item has (in any case) is asked about on a terminal and refused in a script \
        unless --allow-duplicate-name.\n\n", stdin_order!()))]
    Add(AddArgs),
    /// Show an item, or one field of it.
    #[command(
        after_help = "Examples:\n  hush get github                    readable view, password hidden\n  \
        hush get github --field password   the password alone, for $(...)\n  \
        hush get github --json             the whole item as JSON\n  \
        hush get https://github.com/login  the item saved for that site"
    )]
    #[command(visible_alias = "show")]
    Get(GetArgs),
    /// List items, optionally only those matching a query.
    #[command(visible_aliases = ["list", "find"])]
    Ls(LsArgs),
    /// Change any field of an item, or all of them in your editor (--editor).
    #[command(after_help = concat!("Examples:\n  hush edit github --username new-name\n  \
        hush edit github --editor          the whole item as text in $EDITOR\n  \
        hush edit github --dismiss-conflicts   forget the values that lost merges\n\n\
        An edit that changes nothing writes nothing and says so.\n\n", stdin_order!()))]
    Edit(EditArgs),
    /// Move an item to the trash (kept 30 days; `hush restore` brings it back), or delete it for
    /// good with --purge.
    #[command(visible_aliases = ["delete", "remove"])]
    Rm(RmArgs),
    /// List the items in the trash, or empty it.
    #[command(after_help = "Items stay in the trash for 30 days after `hush rm`, out of `ls`, `get`, \
        `copy` and `audit`; the next change after that deletes them for good. The trash syncs: an \
        item moved to the trash here is in the trash on every device.")]
    Trash(TrashArgs),
    /// Take an item out of the trash.
    Restore(RestoreArgs),
    /// Attach files to an item, list them, get them back, remove them.
    #[command(
        subcommand,
        after_help = "Examples:\n  hush file add github ~/.ssh/id_ed25519      attach a file (its name is kept)\n  \
        hush file ls github\n  \
        hush file get github id_ed25519 --output ~/.ssh/id_ed25519\n  \
        hush file get github notes.txt | less      stdout, when it is not a terminal\n  \
        hush file rm github id_ed25519\n\n\
        Files are sealed in 1 MiB chunks under a key of their own, which the item holds; they sync with \
        their item, and a server that drops, alters or swaps a chunk is reported as TAMPERING (exit 6). \
        At most 100 MiB per file unless [files] max_size_mib in config.toml says otherwise. See \
        docs/attachments.md."
    )]
    File(FileCommand),
    /// Show an item's previous passwords (masked unless --show), or make one current again.
    #[command(after_help = "Examples:\n  hush history github                the dates, passwords masked\n  \
        hush history github --show         with the passwords\n  \
        hush history github --restore 1    the last password before the current one is current again")]
    History(HistoryArgs),
    /// Print an item's current TOTP code.
    Totp(TotpArgs),
    /// Generate a random password or passphrase (no vault needed).
    #[command(
        visible_alias = "generate",
        after_help = "Examples:\n  hush gen 20                        20 characters\n  \
        hush gen --words 6                 a passphrase of six words\n  \
        hush gen --json                    {\"password\", \"entropy_bits\", \"kind\"}"
    )]
    Gen(GenArgs),
    /// Choose an item in an interactive fuzzy picker; print its id, or copy it (--copy).
    #[command(after_help = "Examples:\n  hush pick                          every item\n  \
        hush pick mail --copy              items matching \"mail\"; copy the chosen one's password\n  \
        hush edit \"$(hush pick)\" --editor\n\n\
        Type to narrow the list, arrows to move, Enter to choose, Esc to cancel. Needs a terminal.")]
    Pick(PickArgs),
    /// Change the master password.
    Passwd(PasswdArgs),
    /// Print the setup code again (after checking the master password).
    Kit,
    /// Import items from another password manager's export, a hush export, or an
    /// encrypted hush backup. Duplicates of existing items are skipped.
    #[command(
        after_help = "Examples:\n  hush import --from bitwarden-json bitwarden_export.json --dry-run\n  \
        hush import --from keepassxc-csv passwords.csv\n  \
        hush import --from pass                 ($PASSWORD_STORE_DIR or ~/.password-store)\n  \
        hush import --from hush backup.hush --setup-code-file code.txt\n\n\
        An item is a duplicate (skipped) when its user name and password equal an existing \
        item's and it has the same name or shares a URL host with it. See docs/import-export.md."
    )]
    Import(ImportArgs),
    /// Export every item: plaintext JSON or CSV (needs --plaintext), or an encrypted
    /// backup (`--format hush`).
    #[command(
        after_help = "Examples:\n  hush export --format hush --output backup.hush   encrypted backup\n  \
        hush export --format json --plaintext --output all.json\n  \
        hush export --format csv --plaintext > all.csv   Bitwarden's CSV layout"
    )]
    Export(ExportArgs),
    /// Unlock the vault for a while: later commands get the key from the agent and
    /// skip the master password.
    #[command(
        after_help = "Examples:\n  hush unlock                        ask once; locks after 15 min without use\n  \
        hush unlock --timeout 3600         stay unlocked for an hour of inactivity"
    )]
    Unlock(UnlockArgs),
    /// Make the agent forget the key at once.
    Lock,
    /// Say whether the vault is unlocked, and for how long (exit 0 if so, 1 if not).
    #[command(
        after_help = "Examples:\n  hush status                        unlocked or locked, and for how long\n  \
        hush status >/dev/null && echo open   in a shell prompt: exit 0 only when unlocked\n  \
        hush status --json | jq -r .state  unlocked, locked or no_vault"
    )]
    Status(StatusArgs),
    /// Copy a field of an item to the clipboard; it is cleared after a while.
    #[command(
        after_help = "Examples:\n  hush copy github                   the password, cleared after 20 s\n  \
        hush copy github --field totp      the current TOTP code\n  \
        hush copy github --osc52           over SSH: through the terminal (OSC 52)"
    )]
    Copy(CopyArgs),
    /// Print a completion script for your shell.
    #[command(
        after_help = "Examples:\n  hush completions bash > ~/.local/share/bash-completion/completions/hush\n  \
        hush completions zsh > \"${fpath[1]}/_hush\"\n  \
        hush completions fish > ~/.config/fish/completions/hush.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff): `hush man | man -l -`.
    Man(ManArgs),
    /// The agent process started by `unlock` (internal).
    #[command(name = "__agent", hide = true)]
    AgentServe(AgentServeArgs),
    /// The clipboard helper started by `copy` (internal).
    #[command(name = "__clipboard", hide = true)]
    ClipboardServe(ClipboardServeArgs),
    /// Report reused, weak, old and (optionally) breached passwords, and logins
    /// without 2FA. Exits 1 when something is found.
    #[command(
        after_help = "Examples:\n  hush audit                         local checks only, nothing leaves the machine\n  \
        hush audit --hibp                  also ask Have I Been Pwned (5-digit hash prefixes only)\n  \
        hush audit --pwned-file pwned-passwords-sha1-ordered-by-hash.txt\n  \
        hush audit --breaches              also: which logins a known site breach exposed\n  \
        hush audit --breaches-file breaches.json   the same, offline (the JSON of the breach list)\n  \
        hush audit --json --older-than 180"
    )]
    Audit(AuditArgs),
    /// Respond to a breach notice: new passwords for a site and every item that
    /// shares its password, then a walk through changing them on the sites.
    #[command(
        after_help = "Examples:\n  hush breach plex.tv                rotate, then confirm each site interactively\n  \
        hush breach plex --yes --print     scripts: rotate, print, mark all done\n  \
        hush breach --exposed              every login `hush audit --breaches` reports as exposed\n  \
        hush breach --status               what is still waiting for confirmation (exit 1 if any)\n  \
        hush breach --confirm plex         the site accepted the new password"
    )]
    Breach(BreachArgs),
    /// Create the account on a sync server from this vault and push everything.
    #[command(
        after_help = "Example:\n  hush register --server https://hush.example.org --invite-file invite.txt"
    )]
    Register(RegisterArgs),
    /// Connect this device to your account: a new device fetches the vault with the
    /// setup code; a device that has it starts a new session.
    #[command(
        after_help = "Examples:\n  hush login --server https://hush.example.org   a new device: setup code, then password\n  \
        hush login                                     after `hush logout`: the same server, the same device name\n\n\
        The setup code is shown as you type it; a mistyped group is pointed out and only that group is asked again.\n\
        For scripts, --setup-code-file PATH and the global --password-file PATH; never put secrets in arguments."
    )]
    Login(LoginArgs),
    /// Pull, verify, merge and push; print what changed.
    #[command(
        after_help = "Every answer of the server is verified before anything is applied; a server that \
        rolls back, forks or alters your vault is reported as TAMPERING (exit 6) and nothing changes here.\n\n\
        --reset-trust is for one case only: a server that was restored from an older backup on purpose. \
        It makes this device accept the server's current state and push everything it holds into it; \
        you give up detection of any rollback or fork that happened before."
    )]
    Sync(SyncArgs),
    /// End this device's session on the server (the local vault stays).
    Logout(LogoutArgs),
    /// List the devices (sessions) of the account, or revoke one.
    Devices(DevicesArgs),
    /// SSH keys kept in the vault: generate, import, show, list (served by `hush ssh-agent`).
    #[command(
        subcommand,
        after_help = "Examples:\n  hush ssh generate github            a new Ed25519 key; prints its public line\n  \
        hush ssh import work ~/.ssh/id_rsa  asks for the passphrase if the file is encrypted\n  \
        hush ssh pubkey github >> ~/.ssh/authorized_keys\n  \
        hush ssh ls --json\n\nSee docs/ssh-agent.md."
    )]
    Ssh(SshCommand),
    /// Serve the vault's SSH keys to ssh, git and ssh-keygen over the ssh-agent protocol, only
    /// while hush is unlocked.
    #[command(
        name = "ssh-agent",
        after_help = "Start it once (a systemd user unit is in docs/ssh-agent.md), then in your shell:\n  \
        export SSH_AUTH_SOCK=\"$(hush ssh-agent --print-socket)\"\n\n\
        It lists and signs with the keys of `hush ssh ls` while the vault is unlocked (`hush unlock`), \
        and lists nothing and refuses to sign while it is locked. Each use is logged on stderr: which key, \
        for which process. With `[ssh_agent] confirm = true` in config.toml every signature must be \
        allowed through an askpass program first (docs/ssh-agent.md, \"Confirmation\")."
    )]
    SshAgent(SshAgentArgs),
    /// Print the value a secret reference names: hush://ITEM/FIELD.
    #[command(after_help = SECRET_REFERENCES)]
    Read(ReadArgs),
    /// Run a command with the secret references in its environment replaced by their values.
    #[command(after_help = "Examples:\n  GITHUB_TOKEN=hush://github/token hush run -- gh repo list\n  \
        hush run --env-file .env.hush -- ./deploy.sh\n\n\
        Every environment variable whose value is a reference (inherited, or from an --env-file: \
        KEY=VALUE lines, later files win over earlier ones and over the inherited environment) \
        is replaced by the value; so is each {{ hush://ITEM/FIELD }} inside a value. The command's \
        arguments are passed as they are: a secret there would be visible to every local user \
        (ps). hush then becomes the command (exec), so its exit status and signals are the \
        command's own.")]
    Run(RunArgs),
    /// Fill the {{ hush://ITEM/FIELD }} placeholders of a template.
    #[command(
        after_help = "Examples:\n  hush inject -i config.yml.tpl -o config.yml   created with mode 0600\n  \
        hush inject < app.env.tpl > app.env\n\n\
        Placeholders are {{ hush://ITEM/FIELD }} (spaces inside the braces are optional); any other \
        {{ ... }} is left as it is, and values are not searched for placeholders again. OUT is \
        refused if it exists, unless --force."
    )]
    Inject(InjectArgs),
    /// A git credential helper: `git config --global credential.helper '!hush git-credential'`.
    #[command(
        name = "git-credential",
        after_help = "Set it up once:\n  git config --global credential.helper '!hush git-credential'\n  \
        git config --global credential.useHttpPath true     optional: match repository paths too\n\n\
        For `get`, git sends protocol, host (and path) and hush answers with the user name and \
        password of the login whose URL has the same scheme and host (and the longest matching \
        path). Several equally good matches are an error, never a guess: git then asks you. \
        `store` saves what git reports as working only with `[git_credential] store = true` in \
        config.toml; `erase` never deletes anything. See docs/git-credential.md."
    )]
    GitCredential(GitCredentialArgs),
}

/// What `hush read --help` and `hush run` say about references.
const SECRET_REFERENCES: &str = "\
A reference is hush://ITEM/FIELD:
  ITEM   an item's exact name (letter case ignored) or its id
  FIELD  password, username, url, notes, totp (the current code), name, id, a custom field,
         or for SSH keys public_key, private_key, fingerprint
Write `/` as %2F, `%` as %25 and a space as %20 (any character may be percent-encoded).

Examples:
  hush read hush://github/password
  hush read hush://my%20bank/pin
  hush read -n hush://aws/totp | xclip

See docs/secret-references.md.";

/// `hush ssh ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum SshCommand {
    /// Generate a new Ed25519 key in the vault and print its public line.
    Generate(SshGenerateArgs),
    /// Import an OpenSSH private key file (Ed25519, RSA of 2048 bits or more, ECDSA).
    Import(SshImportArgs),
    /// Print a key's public line (authorized_keys form, with its comment).
    Pubkey(SshPubkeyArgs),
    /// List the SSH keys in the vault.
    Ls(SshLsArgs),
}

/// `hush ssh generate`.
#[derive(Debug, Args)]
pub(crate) struct SshGenerateArgs {
    /// The item's name.
    pub name: String,
    /// The key's comment, shown by `ssh-add -l` and at the end of the public line (default:
    /// the item's name).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
}

/// `hush ssh import`.
#[derive(Debug, Args)]
pub(crate) struct SshImportArgs {
    /// The item's name.
    pub name: String,
    /// The private key file (OpenSSH format: -----BEGIN OPENSSH PRIVATE KEY-----).
    pub path: PathBuf,
    /// The key's comment (default: the one in the file, else the item's name).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// For an encrypted key: read its passphrase from the first line of this file instead of
    /// asking on the terminal.
    #[arg(long, value_name = "PATH")]
    pub passphrase_file: Option<PathBuf>,
}

/// `hush ssh pubkey`.
#[derive(Debug, Args)]
pub(crate) struct SshPubkeyArgs {
    /// The key: its name, or an id.
    pub query: String,
}

/// `hush ssh ls`.
#[derive(Debug, Args)]
pub(crate) struct SshLsArgs {
    /// JSON output: [{"id", "name", "algorithm", "bits", "fingerprint", "comment", "public_key"}].
    #[arg(long)]
    pub json: bool,
}

/// `hush ssh-agent`.
#[derive(Debug, Args)]
pub(crate) struct SshAgentArgs {
    /// Listen here instead of the default socket (in hush's private runtime folder). Its
    /// folder must be yours and closed to others (mode 0700).
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Print the socket's path and exit (for `export SSH_AUTH_SOCK=...`).
    #[arg(long)]
    pub print_socket: bool,
}

/// `hush read`.
#[derive(Debug, Args)]
pub(crate) struct ReadArgs {
    /// The reference, hush://ITEM/FIELD.
    #[arg(value_name = "REFERENCE")]
    pub reference: String,
    /// Do not print a line ending after the value.
    #[arg(long, short = 'n')]
    pub no_newline: bool,
}

/// `hush run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Read KEY=VALUE lines from this file into the command's environment (repeatable).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// The command and its arguments, after `--`.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

/// `hush inject`.
#[derive(Debug, Args)]
pub(crate) struct InjectArgs {
    /// The template (default: standard input).
    #[arg(long, short = 'i', value_name = "TEMPLATE")]
    pub input: Option<PathBuf>,
    /// Write here, created with mode 0600 (default: standard output).
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Replace OUT if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// `hush git-credential`.
#[derive(Debug, Args)]
pub(crate) struct GitCredentialArgs {
    /// What git asks: get, store or erase (others are ignored, as gitcredentials(7) says).
    pub operation: String,
}

/// KDF parameter choices for `init` and `passwd`.
#[derive(Debug, Args, Clone)]
pub(crate) struct KdfArgs {
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

/// The master password check of `init` and `passwd`.
#[derive(Debug, Args, Clone)]
pub(crate) struct NewPasswordArgs {
    /// Accept a master password that is easy to guess. For tests only: anyone who steals this
    /// device's vault and account key can then guess it (hush says how quickly).
    #[arg(long)]
    pub insecure_weak_password: bool,
}

/// `hush init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    pub kdf: KdfArgs,
    #[command(flatten)]
    pub new_password: NewPasswordArgs,
}

/// Generator options shared by `gen`, `add --generate` and `edit --generate`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct GenOptions {
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
pub(crate) struct ItemFields {
    /// User name or e-mail address.
    #[arg(long, short = 'u')]
    pub username: Option<String>,
    /// A URL of the site (repeat for several; `edit` replaces the list).
    #[arg(long = "url", value_name = "URL")]
    pub urls: Vec<String>,
    /// Notes. Text given here is visible to other local users (ps), and hush warns:
    /// `-` reads the notes from standard input to its end (several lines; after every
    /// other value read from it), and --notes-file reads them from a file.
    #[arg(long, value_name = "TEXT|-")]
    pub notes: Option<String>,
    /// Read the notes from this file (all of it, up to 1 MiB; one final line ending is
    /// dropped, as with --notes -).
    #[arg(long, value_name = "PATH", conflicts_with = "notes")]
    pub notes_file: Option<PathBuf>,
    /// TOTP secret: Base32, or an otpauth://totp/ URI. A value given here is visible to
    /// other local users (ps), and hush warns: `-` asks for it (or reads the next line
    /// of standard input), keeping it off the command line.
    #[arg(long, value_name = "SECRET|URI|-")]
    pub totp: Option<String>,
    /// A custom field KEY=VALUE (repeat for several).
    #[arg(long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<KeyValue>,
    /// A hidden custom field KEY=VALUE, shown like a password. A value given here is
    /// visible to other local users (ps), and hush warns: KEY=- asks for the value (or
    /// reads the next line of standard input).
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
pub(crate) struct AddArgs {
    /// The item's name.
    pub name: String,
    /// What kind of item.
    #[arg(long, value_enum, default_value_t = KindArg::Login)]
    pub kind: KindArg,
    /// Add a login without a password (a script must say so; on a terminal hush asks).
    #[arg(long, conflicts_with_all = ["generate", "password_stdin"])]
    pub no_password: bool,
    /// Add the item even if another one has the same name (in any case). Without it, hush asks
    /// on a terminal and refuses in a script.
    #[arg(long)]
    pub allow_duplicate_name: bool,
    #[command(flatten)]
    pub fields: ItemFields,
}

/// `hush get`.
#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// Name, URL or host, user name, tag, or id prefix (6 or more characters).
    #[arg(add = ArgValueCompleter::new(item_names))]
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
    /// Look for the item in the trash instead.
    #[arg(long)]
    pub trash: bool,
}

/// `hush ls`.
#[derive(Debug, Args)]
pub(crate) struct LsArgs {
    /// Only items matching this.
    pub query: Option<String>,
    /// JSON output (names, ids and metadata; no secrets).
    #[arg(long)]
    pub json: bool,
}

/// `hush edit`.
#[derive(Debug, Args)]
pub(crate) struct EditArgs {
    /// The item to edit.
    #[arg(add = ArgValueCompleter::new(item_names))]
    pub query: String,
    /// Open the whole item as text in $EDITOR (then $VISUAL, then vi), in a private temporary
    /// file on a RAM file system that is overwritten and removed afterwards
    /// (docs/item-text.md).
    #[arg(long)]
    pub editor: bool,
    /// Forget the values that lost concurrent edits in merges (the "conflict" lines of `hush get`).
    #[arg(long)]
    pub dismiss_conflicts: bool,
    /// A new name.
    #[arg(long)]
    pub name: Option<String>,
    /// A new kind.
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
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
pub(crate) struct RmArgs {
    /// The item to delete.
    #[arg(add = ArgValueCompleter::new(item_names))]
    pub query: String,
    /// Delete it for good instead of moving it to the trash (an item already in the trash too).
    /// Asks on a terminal unless --yes.
    #[arg(long)]
    pub purge: bool,
    /// With --purge: do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `hush file`.
#[derive(Debug, Subcommand)]
pub(crate) enum FileCommand {
    /// Attach a file to an item. The file is read once, sealed in chunks into hush's folder, and
    /// synced with the item.
    Add(FileAddArgs),
    /// List an item's files.
    Ls(FileLsArgs),
    /// Write an attached file to standard output (never to a terminal unless --force) or to a
    /// file; every chunk is verified before any of it is written.
    Get(FileGetArgs),
    /// Remove a file from an item (and, at the next sync, from the server).
    Rm(FileRmArgs),
}

/// `hush file add`.
#[derive(Debug, Args)]
pub(crate) struct FileAddArgs {
    /// The item: name, URL host, user name, tag, or id prefix.
    #[arg(add = ArgValueCompleter::new(item_names))]
    pub query: String,
    /// The file to attach; `-` reads standard input (then --name is needed).
    pub path: PathBuf,
    /// The name to keep the file under (default: the file's own name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// `hush file ls`.
#[derive(Debug, Args)]
pub(crate) struct FileLsArgs {
    /// The item.
    #[arg(add = ArgValueCompleter::new(item_names))]
    pub query: String,
    /// JSON output: [{"name", "id", "size", "chunks", "added", "on_this_device"}]; never a key.
    #[arg(long)]
    pub json: bool,
}

/// `hush file get`.
#[derive(Debug, Args)]
pub(crate) struct FileGetArgs {
    /// The item.
    #[arg(add = ArgValueCompleter::new(item_names))]
    pub query: String,
    /// The file's name, or the first 8 or more characters of its id (`hush file ls`).
    pub name: String,
    /// Write to this path (created with mode 0600, put in place only once every chunk verified;
    /// a folder means the file's own name inside it) instead of standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Write to standard output even when it is a terminal.
    #[arg(long)]
    pub force: bool,
}

/// `hush file rm`.
#[derive(Debug, Args)]
pub(crate) struct FileRmArgs {
    /// The item.
    #[arg(add = ArgValueCompleter::new(item_names))]
    pub query: String,
    /// The file's name, or the first 8 or more characters of its id.
    pub name: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `hush trash`.
#[derive(Debug, Args)]
pub(crate) struct TrashArgs {
    /// Delete every item in the trash for good (asks on a terminal unless --yes).
    #[arg(long)]
    pub empty: bool,
    /// With --empty: do not ask.
    #[arg(long, short = 'y', requires = "empty")]
    pub yes: bool,
    /// JSON output: [{"id", "name", "kind", "trashed", "expires"}].
    #[arg(long, conflicts_with = "empty")]
    pub json: bool,
}

/// `hush restore`.
#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// The item in the trash: its name, or any query (`hush trash` lists them).
    #[arg(add = ArgValueCompleter::new(trash_names))]
    pub query: String,
}

/// `hush history`.
#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// The item.
    #[arg(add = ArgValueCompleter::new(item_names))]
    pub query: String,
    /// JSON output (passwords only with --show).
    #[arg(long)]
    pub json: bool,
    /// Show the previous passwords instead of masking them.
    #[arg(long)]
    pub show: bool,
    /// Make the N-th previous password current again (1 is the most recent, as listed); the
    /// current one goes into the history.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), conflicts_with_all = ["json", "show"])]
    pub restore: Option<u64>,
}

/// `hush pick`.
#[derive(Debug, Args)]
pub(crate) struct PickArgs {
    /// Offer only the items matching this (default: every item).
    pub query: Option<String>,
    /// Copy the chosen item's main field (as `hush copy` does) instead of printing its id.
    #[arg(long)]
    pub copy: bool,
}

/// `hush totp`.
#[derive(Debug, Args)]
pub(crate) struct TotpArgs {
    /// The item.
    #[arg(add = ArgValueCompleter::new(item_names))]
    pub query: String,
    /// JSON output: `{"code": "123456", "remaining": 17}`.
    #[arg(long)]
    pub json: bool,
}

/// `hush gen`.
#[derive(Debug, Args)]
pub(crate) struct GenArgs {
    /// The password's length (the same as --length): `hush gen 20`.
    #[arg(value_name = "LENGTH", conflicts_with_all = ["length", "words"])]
    pub len: Option<usize>,
    /// JSON output: {"password", "entropy_bits", "kind"}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub options: GenOptions,
}

/// `hush unlock`.
#[derive(Debug, Args)]
pub(crate) struct UnlockArgs {
    /// Lock after this many seconds without use (default: agent_timeout in
    /// config.toml, 900).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
}

/// `hush status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// JSON output: {"state" (unlocked, locked or no_vault), "unlocked", "remaining_secs",
    /// "timeout_secs", "agent", "agent_pid", "socket", "sync"}. Either way the exit code is 0
    /// when unlocked and 1 when not, for shell prompts and scripts.
    #[arg(long)]
    pub json: bool,
}

/// `hush copy`.
#[derive(Debug, Args)]
pub(crate) struct CopyArgs {
    /// Name, URL or host, user name, tag, or id prefix (6 or more characters).
    #[arg(add = ArgValueCompleter::new(item_names))]
    pub query: String,
    /// The field to copy: password, username, totp, url, notes, or a custom field. Default: what
    /// the item is for: a login's password, a note's notes, a card's number, a TOTP-only item's
    /// current code.
    #[arg(long, short = 'f', value_name = "FIELD")]
    pub field: Option<String>,
    /// Clear the clipboard after this many seconds (default: clipboard_clear_after
    /// in config.toml, 20).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub clear_after: Option<u64>,
    /// Copy through the terminal with an OSC 52 escape sequence (automatic over SSH
    /// without a display). hush cannot clear the terminal's clipboard afterwards.
    #[arg(long)]
    pub osc52: bool,
}

/// `hush completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `hush man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The page of one command (e.g. `add`) instead of the overview.
    pub command: Option<String>,
}

/// `hush __agent` (internal).
#[derive(Debug, Args)]
pub(crate) struct AgentServeArgs {
    /// The socket to listen on.
    #[arg(long)]
    pub socket: PathBuf,
}

/// `hush __clipboard` (internal). The secret arrives on stdin, never here.
#[derive(Debug, Args)]
pub(crate) struct ClipboardServeArgs {
    /// Seconds before the clipboard is cleared.
    #[arg(long)]
    pub clear_after: u64,
}

/// `hush passwd`.
#[derive(Debug, Args)]
pub(crate) struct PasswdArgs {
    /// Read the new master password from the first line of this file.
    #[arg(long, value_name = "PATH")]
    pub new_password_file: Option<PathBuf>,
    #[command(flatten)]
    pub kdf: KdfArgs,
    #[command(flatten)]
    pub new_password: NewPasswordArgs,
}

/// `hush audit`.
#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// JSON output: {"reused", "weak", "breached", "old", "no_totp"}; names and
    /// reasons only, never a password.
    #[arg(long)]
    pub json: bool,
    /// Check passwords against Have I Been Pwned's range API. Only the first five
    /// hex digits of each password's SHA-1 are sent.
    #[arg(long)]
    pub hibp: bool,
    /// Base URL of the range API [default: https://api.pwnedpasswords.com].
    #[arg(long, value_name = "URL", requires = "hibp")]
    pub hibp_url: Option<String>,
    /// Check passwords against a local copy of the Pwned Passwords list (the SHA-1
    /// file ordered by hash, HASH:COUNT lines); no network access.
    #[arg(long, value_name = "PATH", conflicts_with = "hibp")]
    pub pwned_file: Option<PathBuf>,
    /// Report passwords not changed for more than this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub older_than: u64,
    /// Check every login against Have I Been Pwned's list of breached sites: a login is exposed
    /// when its site was breached with passwords after its password was last set. The whole list
    /// is downloaded (and cached); nothing about the vault is sent.
    #[arg(long)]
    pub breaches: bool,
    /// Where to download the breach list (a mirror) [default:
    /// https://haveibeenpwned.com/api/v3/breaches]. https only; plain http for localhost. Implies
    /// --breaches.
    #[arg(long, value_name = "URL", conflicts_with = "breaches_file")]
    pub breaches_url: Option<String>,
    /// Read the breach list from FILE (the JSON that URL serves) instead of downloading it, for
    /// machines without network. Implies --breaches.
    #[arg(long, value_name = "FILE")]
    pub breaches_file: Option<PathBuf>,
}

/// `hush breach`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("json_for").args(["status", "exposed"]).multiple(true)))]
pub(crate) struct BreachArgs {
    /// The breached site: an item name or a domain such as plex.tv.
    #[arg(required_unless_present_any = ["status", "confirm", "exposed"])]
    pub site: Option<String>,
    /// Rotate every login that `hush audit --breaches` reports as exposed by a breach, and every
    /// item sharing its password, one site at a time.
    #[arg(long, conflicts_with_all = ["site", "status", "confirm"])]
    pub exposed: bool,
    /// With --exposed: where to download the breach list [default:
    /// https://haveibeenpwned.com/api/v3/breaches]. https only; plain http for localhost.
    #[arg(long, value_name = "URL", requires = "exposed", conflicts_with = "breaches_file")]
    pub breaches_url: Option<String>,
    /// With --exposed: read the breach list from FILE instead of downloading it.
    #[arg(long, value_name = "FILE", requires = "exposed")]
    pub breaches_file: Option<PathBuf>,
    /// List the items still waiting for confirmation; exit 1 if there are any.
    #[arg(long, conflicts_with_all = ["site", "confirm", "yes", "print"])]
    pub status: bool,
    /// Mark one item's rotation as done: the site accepted the new password.
    #[arg(long, value_name = "QUERY", conflicts_with_all = ["site", "yes", "print"])]
    pub confirm: Option<String>,
    /// Do not ask: mark every rotation done once the new passwords are saved (for
    /// scripts that change the passwords themselves).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Show the new passwords instead of copying them (with --yes or without a
    /// terminal: print them to stdout as ID<TAB>NAME<TAB>PASSWORD lines).
    #[arg(long)]
    pub print: bool,
    /// With --status or --exposed: JSON output (ids, names, dates; never a password). With
    /// --exposed there is no walk-through: the new passwords are saved and left pending (or
    /// marked done with --yes).
    #[arg(long, requires = "json_for", conflicts_with = "print")]
    pub json: bool,
}

/// `hush register`.
#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    /// The server's URL, e.g. https://hush.example.org.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// The one-time registration code from `hush-server invite`. Other local users can
    /// see a command line (ps) and could race to spend it, and hush warns: prefer
    /// --invite-file.
    #[arg(long, value_name = "CODE", allow_hyphen_values = true)]
    pub invite: Option<String>,
    /// Read the registration code from the first line of this file.
    #[arg(long, value_name = "PATH", conflicts_with = "invite")]
    pub invite_file: Option<PathBuf>,
    /// Allow a plain http:// URL to a non-loopback host (traffic can be watched).
    #[arg(long)]
    pub insecure_http: bool,
    /// The name this device shows in `hush devices`, sealed so that the server cannot read it
    /// (default: the operating system and today's date, never the host name).
    #[arg(long, value_name = "NAME")]
    pub device_name: Option<String>,
}

/// `hush login`.
#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The server's URL, e.g. https://hush.example.org. Needed on a new device; a device that
    /// was connected before logs in again to the server it last used.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Read the setup code from the first line of this file instead of prompting.
    #[arg(long, value_name = "PATH")]
    pub setup_code_file: Option<PathBuf>,
    /// Allow a plain http:// URL to a non-loopback host (traffic can be watched).
    #[arg(long)]
    pub insecure_http: bool,
    /// Accept KDF parameters below the minimum from the server (tests only).
    #[arg(long)]
    pub insecure_kdf: bool,
    /// The name this device shows in `hush devices`, sealed so that the server cannot read it
    /// (default: the name this device had before, else the operating system and today's date,
    /// never the host name).
    #[arg(long, value_name = "NAME")]
    pub device_name: Option<String>,
}

/// `hush sync`.
#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// Forget the server state this device accepted and take the server's current state as it
    /// is (after the server was restored from a backup on purpose). See below for what it costs.
    #[arg(long)]
    pub reset_trust: bool,
    /// With --reset-trust: do not ask.
    #[arg(long, requires = "reset_trust")]
    pub yes: bool,
}

/// `hush logout`.
#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {
    /// Also delete the account and everything it stored from the server (needs the master
    /// password; every device keeps its vault).
    #[arg(long)]
    pub delete_account: bool,
    /// With --delete-account: do not ask.
    #[arg(long, requires = "delete_account")]
    pub yes: bool,
}

/// `hush devices`.
#[derive(Debug, Args)]
pub(crate) struct DevicesArgs {
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<DevicesCommand>,
}

/// `hush devices revoke`.
#[derive(Debug, Subcommand)]
pub(crate) enum DevicesCommand {
    /// Revoke another device's session; it must log in again.
    Revoke {
        /// The device's name, or the first 4 or more characters of its id, from `hush devices`.
        device: String,
    },
}

/// `hush import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The format of the export.
    #[arg(long = "from", value_enum, value_name = "FORMAT")]
    pub from: ImportFormat,
    /// The export file; for `pass`, the password store folder (default:
    /// $PASSWORD_STORE_DIR, else ~/.password-store).
    #[arg(value_name = "FILE|DIR")]
    pub path: Option<PathBuf>,
    /// List what would be imported and skipped; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// For `--from hush`: read the backup's setup code from the first line of this
    /// file instead of prompting.
    #[arg(long, value_name = "PATH")]
    pub setup_code_file: Option<PathBuf>,
    /// For `--from hush`: read the backup's master password from the first line of
    /// this file (the global --password-file is the current vault's).
    #[arg(long, value_name = "PATH")]
    pub backup_password_file: Option<PathBuf>,
}

/// What `hush import --from` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ImportFormat {
    /// Bitwarden's unencrypted JSON export.
    BitwardenJson,
    /// Bitwarden's CSV export.
    BitwardenCsv,
    /// KeePassXC's CSV export (`keepassxc-cli export --format csv`).
    KeepassxcCsv,
    /// 1Password's CSV export.
    #[value(name = "1password-csv")]
    OnePasswordCsv,
    /// Chrome/Chromium/Edge/Brave's passwords CSV.
    ChromeCsv,
    /// Firefox's logins CSV.
    FirefoxCsv,
    /// A pass (password-store) folder, decrypted with your gpg.
    Pass,
    /// An encrypted backup from `hush export --format hush`.
    Hush,
    /// hush's plaintext JSON export (`hush export --format json`).
    HushJson,
}

/// `hush export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// What to write.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write to this file (created with mode 0600) instead of standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Confirm that every password may be written unencrypted (json, csv).
    #[arg(long)]
    pub plaintext: bool,
}

/// What `hush export --format` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    /// Plaintext JSON with everything (`hush import --from hush-json` reads it).
    Json,
    /// Plaintext CSV in Bitwarden's layout (most managers import it; lossy).
    Csv,
    /// An encrypted backup: a copy of the vault file (needs the setup code and the
    /// master password to restore).
    Hush,
}

/// What kind of item (`--kind`), as the user types it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    /// A site or service login.
    Login,
    /// A secure note.
    Note,
    /// A payment card.
    Card,
    /// A TOTP seed alone.
    #[value(alias = "totp")]
    TotpOnly,
}

impl From<KindArg> for hush_vault::ItemKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Login => hush_vault::ItemKind::Login,
            KindArg::Note => hush_vault::ItemKind::Note,
            KindArg::Card => hush_vault::ItemKind::Card,
            KindArg::TotpOnly => hush_vault::ItemKind::TotpOnly,
        }
    }
}

/// A visible custom field, `KEY=VALUE` (`--field`), parsed by clap. Hidden fields are not parsed
/// this way on purpose: clap quotes a value it refuses in its error message, and a hidden
/// field's value is a secret (`commands::fields` parses them without ever repeating them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyValue {
    /// The field's name, trimmed and not empty.
    pub key: String,
    /// Its value (may be empty).
    pub value: String,
}

impl std::str::FromStr for KeyValue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (k, v) = s.split_once('=').ok_or("expected KEY=VALUE")?;
        if k.trim().is_empty() {
            return Err("the field name before '=' is empty".into());
        }
        Ok(KeyValue { key: k.trim().to_owned(), value: v.to_owned() })
    }
}

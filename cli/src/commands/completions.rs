//! `hush completions SHELL`: the shell's completion script, and the completion of item names.
//!
//! The scripts are clap_complete's *dynamic* ones (`CompleteEnv`): at each TAB the shell runs
//! `hush` itself with `COMPLETE=<shell>` and the words typed so far, and hush answers from its
//! own command-line definitions (so completion can never disagree with the real command line)
//! and, for the item argument of `get`, `copy`, `edit`, `rm`, `totp` and `history` (and the
//! trash's names for `restore`), with the names of the items. Those come only from an unlocked
//! agent: when locked, nothing is offered, nothing is asked, and no vault is opened with a
//! password (issue #10; `main` answers before anything else runs).

use std::ffi::OsStr;

use anyhow::Result;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
use hush_vault::{Profile, Scope};

use crate::cli::CompletionsArgs;

/// The environment variable that makes `hush` answer a completion request.
pub(crate) const COMPLETE_VAR: &str = "COMPLETE";

/// Runs `hush completions`: prints the script that registers the dynamic completion.
pub(crate) fn run(args: &CompletionsArgs) -> Result<()> {
    let shell: &dyn EnvCompleter = match args.shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Elvish => &Elvish,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::PowerShell => &Powershell,
        clap_complete::Shell::Zsh => &Zsh,
        other => anyhow::bail!("no completion for {other}"),
    };
    // The script calls this very binary: by the path it was started with (made absolute, so that
    // it works from any folder), or by name when it was found on $PATH.
    let started_as = std::env::args_os().next().unwrap_or_else(|| "hush".into());
    let path = std::path::Path::new(&started_as);
    let completer = if path.components().count() > 1 {
        std::path::absolute(path)?.to_string_lossy().into_owned()
    } else {
        started_as.to_string_lossy().into_owned()
    };
    // Generated into memory first: a closed pipe (`hush completions bash | head`) is not a
    // failure here.
    let mut buf = Vec::new();
    shell.write_registration(COMPLETE_VAR, "hush", "hush", &completer, &mut buf)?;
    std::io::Write::write_all(&mut std::io::stdout().lock(), &buf)?;
    Ok(())
}

/// The names of the items in use that start with what was typed: the completer of every item
/// argument.
pub(crate) fn item_names(current: &OsStr) -> Vec<CompletionCandidate> {
    names(current, Scope::Live)
}

/// The names of the items in the trash that start with what was typed (`hush restore`).
pub(crate) fn trash_names(current: &OsStr) -> Vec<CompletionCandidate> {
    names(current, Scope::Trash)
}

/// Item names from the agent's key, or none. Never prompts, never prints: any failure (no
/// vault, no agent, a locked agent, another vault's agent) completes nothing.
fn names(current: &OsStr, scope: Scope) -> Vec<CompletionCandidate> {
    let Some(typed) = current.to_str() else { return Vec::new() };
    let Ok(home) = crate::context::home_dir() else { return Vec::new() };
    let profile = Profile::new(home);
    let Ok(locked) = profile.locked_view() else { return Vec::new() };
    let header = locked.header().clone();
    let Some(ring) = crate::agent::client::fetch_key_silently(&profile, &header.account_id()) else {
        return Vec::new();
    };
    if ring.current_version() != header.key_version {
        return Vec::new();
    }
    let Ok(view) = locked.unlock(ring) else { return Vec::new() };
    let typed_lower = typed.to_lowercase();
    let mut names: Vec<(String, String)> = view
        .entries_in(scope)
        .map(|e| {
            use hush_vault::SearchFields as _;
            (e.name().to_owned(), e.username().to_owned())
        })
        .filter(|(name, _)| name.to_lowercase().starts_with(&typed_lower))
        .collect();
    names.sort();
    names.dedup_by(|a, b| a.0 == b.0);
    names
        .into_iter()
        .map(|(name, username)| {
            let help = (!username.is_empty()).then(|| username.into());
            CompletionCandidate::new(name).help(help)
        })
        .collect()
}

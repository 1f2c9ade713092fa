//! `hush completions SHELL`: a completion script for the shell, from the clap
//! definitions, so it can never disagree with the real command line.

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

/// Runs `hush completions`.
pub fn run(args: &CompletionsArgs) -> Result<()> {
    let mut cmd = visible(Cli::command());
    // Generated into memory first: clap_complete panics on a failed write, and a
    // closed pipe (`hush completions bash | head`) is not a failure here.
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "hush", &mut buf);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &buf)?;
    Ok(())
}

/// The command line without hidden subcommands. clap_complete offers hidden
/// subcommands too, and `hush <TAB>` should not suggest the internal `__agent` and
/// `__clipboard`. clap cannot remove a subcommand, so this rebuilds the top level
/// from the visible parts (the global options keep their `global` flag).
fn visible(full: clap::Command) -> clap::Command {
    clap::Command::new("hush")
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().filter(|a| !a.is_hide_set()).cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

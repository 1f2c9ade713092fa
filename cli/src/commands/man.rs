//! `hush man [COMMAND]`: the roff man page, from the clap definitions.

use anyhow::{Result, bail};
use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};

/// Runs `hush man`: `hush man | man -l -` reads it; packagers save it as hush.1,
/// and `hush man add` as hush-add.1.
pub(super) fn run(args: &ManArgs) -> Result<()> {
    let mut cmd = Cli::command();
    // Building fills in each subcommand's full name ("hush add") for its synopsis.
    cmd.build();
    let man = match &args.command {
        None => clap_mangen::Man::new(cmd),
        Some(name) => match cmd.find_subcommand(name).filter(|c| !c.is_hide_set()) {
            Some(sub) => clap_mangen::Man::new(sub.clone())
                .title(format!("hush-{}", sub.get_name()))
                .source(format!("hush {}", env!("CARGO_PKG_VERSION"))),
            None => bail!("no command {name:?}; see `hush --help`"),
        },
    };
    let mut buf = Vec::new();
    man.render(&mut buf)?;
    std::io::Write::write_all(&mut std::io::stdout().lock(), &buf)?;
    Ok(())
}

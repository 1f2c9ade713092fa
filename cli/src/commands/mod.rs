//! One module per command. `run` dispatches; each module's `run` does the work.

mod add;
mod edit;
mod fields;
mod gen_cmd;
mod get;
mod history;
mod init;
mod kit;
mod ls;
mod passwd;
mod rm;
mod totp;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::context::Ctx;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    // `gen` needs no vault and no settings beyond the defaults.
    if let Command::Gen(args) = &cli.command {
        let ctx = Ctx::new(&cli)?;
        return gen_cmd::run(&ctx, args);
    }
    let ctx = Ctx::new(&cli)?;
    match cli.command {
        Command::Init(args) => init::run(&ctx, &args),
        Command::Add(args) => add::run(&ctx, &args),
        Command::Get(args) => get::run(&ctx, &args),
        Command::Ls(args) => ls::run(&ctx, &args),
        Command::Edit(args) => edit::run(&ctx, &args),
        Command::Rm(args) => rm::run(&ctx, &args),
        Command::History(args) => history::run(&ctx, &args),
        Command::Totp(args) => totp::run(&ctx, &args),
        Command::Gen(_) => unreachable!("handled above"),
        Command::Passwd(args) => passwd::run(&ctx, &args),
        Command::Kit => kit::run(&ctx),
    }
}

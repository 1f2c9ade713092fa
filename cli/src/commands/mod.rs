//! One module per command. `run` dispatches; each module's `run` does the work.

mod add;
mod audit;
mod breach;
mod completions;
mod copy;
mod devices;
mod edit;
mod export;
mod fields;
mod gen_cmd;
mod get;
mod history;
mod import;
mod init;
mod kit;
mod lock;
mod login;
mod logout;
mod ls;
mod man;
mod passwd;
mod register;
mod rm;
mod status;
mod sync_cmd;
mod totp;
mod unlock;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::context::Ctx;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    // These need neither the vault nor the settings (a broken config.toml must not
    // break completions, nor the helpers that `unlock` and `copy` started).
    match &cli.command {
        Command::Completions(args) => return completions::run(args),
        Command::Man(args) => return man::run(args),
        Command::AgentServe(args) => return crate::agent::server::run(&args.socket),
        Command::ClipboardServe(args) => return crate::clipboard::serve(args.clear_after),
        _ => {}
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
        Command::Gen(args) => gen_cmd::run(&ctx, &args),
        Command::Passwd(args) => passwd::run(&ctx, &args),
        Command::Kit => kit::run(&ctx),
        Command::Import(args) => import::run(&ctx, &args),
        Command::Export(args) => export::run(&ctx, &args),
        Command::Unlock(args) => unlock::run(&ctx, &args),
        Command::Lock => lock::run(&ctx),
        Command::Status(args) => status::run(&ctx, &args),
        Command::Copy(args) => copy::run(&ctx, &args),
        Command::Completions(_) | Command::Man(_) | Command::AgentServe(_) | Command::ClipboardServe(_) => {
            unreachable!("handled before the settings are read")
        }
        Command::Audit(args) => audit::run(&ctx, &args),
        Command::Breach(args) => breach::run(&ctx, &args),
        Command::Register(args) => {
            // Here rather than in register.rs, which the sync work changes: the code is
            // single-use, and another local user who reads it in `ps` can spend it first.
            if args.invite.is_some() {
                eprintln!("{}", crate::prompt::on_command_line("--invite", "--invite-file PATH"));
            }
            register::run(&ctx, &args)
        }
        Command::Login(args) => login::run(&ctx, &args),
        Command::Sync(args) => sync_cmd::run(&ctx, &args),
        Command::Logout(args) => logout::run(&ctx, &args),
        Command::Devices(args) => devices::run(&ctx, &args),
    }
}

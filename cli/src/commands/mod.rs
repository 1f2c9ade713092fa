//! One module per command. `run` dispatches; each module's `run` does the work.

mod add;
mod audit;
mod backup_archive;
mod breach;
pub(crate) mod completions;
mod copy;
mod devices;
mod edit;
mod export;
mod fields;
mod file;
mod gen_cmd;
mod get;
mod git_credential;
mod history;
mod import;
mod init;
mod inject;
mod kit;
mod lock;
mod login;
mod logout;
mod ls;
mod man;
mod passwd;
mod pick;
mod read;
mod register;
mod resolve;
mod rm;
mod run_cmd;
mod ssh;
mod status;
pub(crate) mod sync_cmd;
mod totp;
mod trash;
mod unlock;

use anyhow::Result;

pub(crate) use sync_cmd::undeleted_line as sync_cmd_line;

use crate::cli::{Cli, Command};
use crate::context::Ctx;
use crate::exit::Outcome;

/// Runs the parsed command line. Commands whose result is more than success or failure
/// (`audit`, `breach`, `status`) return their [`Outcome`]; the others succeed with [`Outcome::Done`].
pub(crate) fn run(cli: Cli) -> Result<Outcome> {
    let done = |r: Result<()>| r.map(|()| Outcome::Done);
    // These need neither the vault nor the settings (a broken config.toml must not
    // break completions, nor the helpers that `unlock` and `copy` started).
    match &cli.command {
        Command::Completions(args) => return done(completions::run(args)),
        Command::Man(args) => return done(man::run(args)),
        Command::AgentServe(args) => return done(crate::agent::server::run(&args.socket)),
        Command::ClipboardServe(args) => return done(crate::clipboard::serve(args.clear_after)),
        _ => {}
    }
    let mut ctx = Ctx::new(&cli)?;
    ctx.tty_prompt = matches!(cli.command, Command::GitCredential(_));
    match cli.command {
        Command::Audit(args) => audit::run(&ctx, &args),
        Command::Breach(args) => breach::run(&ctx, &args),
        Command::Status(args) => status::run(&ctx, &args),
        command => done(run_simple(&ctx, command)),
    }
}

/// The commands that succeed or fail, and nothing else.
fn run_simple(ctx: &Ctx, command: Command) -> Result<()> {
    match command {
        Command::Init(args) => init::run(ctx, &args),
        Command::Add(args) => add::run(ctx, &args),
        Command::Get(args) => get::run(ctx, &args),
        Command::Ls(args) => ls::run(ctx, &args),
        Command::Edit(args) => edit::run(ctx, &args),
        Command::Rm(args) => rm::run(ctx, &args),
        Command::File(command) => file::run(ctx, command),
        Command::Trash(args) => trash::run(ctx, &args),
        Command::Restore(args) => trash::restore(ctx, &args),
        Command::Pick(args) => pick::run(ctx, &args),
        Command::History(args) => history::run(ctx, &args),
        Command::Totp(args) => totp::run(ctx, &args),
        Command::Gen(args) => gen_cmd::run(ctx, &args),
        Command::Passwd(args) => passwd::run(ctx, &args),
        Command::Kit => kit::run(ctx),
        Command::Import(args) => import::run(ctx, &args),
        Command::Export(args) => export::run(ctx, &args),
        Command::Unlock(args) => unlock::run(ctx, &args),
        Command::Lock => lock::run(ctx),
        Command::Copy(args) => copy::run(ctx, &args),
        Command::Register(args) => register::run(ctx, &args),
        Command::Login(args) => login::run(ctx, &args),
        Command::Sync(args) => sync_cmd::run(ctx, &args),
        Command::Logout(args) => logout::run(ctx, &args),
        Command::Devices(args) => devices::run(ctx, &args),
        Command::Ssh(command) => ssh::run(ctx, &command),
        Command::SshAgent(args) => crate::ssh_agent::run(ctx, &args),
        Command::Read(args) => read::run(ctx, &args),
        Command::Run(args) => run_cmd::run(ctx, &args),
        Command::Inject(args) => inject::run(ctx, &args),
        Command::GitCredential(args) => git_credential::run(ctx, &args),
        Command::Audit(_)
        | Command::Breach(_)
        | Command::Status(_)
        | Command::Completions(_)
        | Command::Man(_)
        | Command::AgentServe(_)
        | Command::ClipboardServe(_) => unreachable!("dispatched by `run`"),
    }
}

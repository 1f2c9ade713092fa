//! `hush`: the command-line client. It only wires the crates together: parsing in
//! `cli`, one module per command in `commands`, the agent, clipboard and prompts.
// `deny`, not `forbid`: the agent's key buffer is mlocked in agent/memlock.rs, the
// one module that allows `unsafe` (docs/architecture.md, "Conventions the code relies on").
#![deny(unsafe_code)]

mod agent;
mod breach_list;
mod cli;
mod clipboard;
mod commands;
mod config;
mod context;
mod exit;
mod git_credential;
mod hibp;
mod item_text;
mod master_password;
mod output;
mod picker;
mod prompt;
mod remote;
mod secret_ref;
mod setup_code;
mod ssh_agent;
mod text_editor;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A shell asking for completions (`COMPLETE=bash hush -- hush get gi`) is answered here and
    // nothing else runs (commands/completions.rs).
    clap_complete::CompleteEnv::with_factory(<cli::Cli as clap::CommandFactory>::command)
        .var(commands::completions::COMPLETE_VAR)
        .complete();
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(err) if exit::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let (code, advice) = exit::classify(&err);
            eprintln!("hush: {err:#}");
            if let Some(advice) = advice {
                eprintln!("{advice}");
            }
            ExitCode::from(code)
        }
    }
}

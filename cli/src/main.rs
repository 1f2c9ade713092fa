//! `hush`: the command-line client. It only wires the crates together: parsing in
//! `cli`, one module per command in `commands`, the agent, clipboard and prompts.
#![forbid(unsafe_code)]

mod agent;
mod cli;
mod commands;
mod config;
mod context;
mod exit;
mod output;
mod prompt;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if exit::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            if !matches!(err.downcast_ref::<exit::Exit>(), Some(exit::Exit::Findings)) {
                eprintln!("hush: {err:#}");
            }
            exit::code_for(&err)
        }
    }
}

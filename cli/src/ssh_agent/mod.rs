//! `hush ssh-agent`: the vault's SSH keys over the ssh-agent protocol (draft-miller-ssh-agent),
//! for `ssh`, `git`, `ssh-add -L` and `ssh-keygen -Y sign` (docs/ssh-agent.md; issue #13).
//!
//! It holds no key of its own. Every request asks the hush agent for the vault's key ring
//! (`agent::client::fetch_key`), reads the SSH key items, and forgets them when the answer is
//! sent: while hush is locked it lists nothing and signs nothing, and `hush lock` takes effect
//! on the next request without telling this process anything. The protocol is the
//! `ssh-agent-lib` crate's; keys and signatures are `hush-ssh`'s.
//!
//! - `socket.rs`: where it listens, the socket's mode, and the peer-uid fence;
//! - `session.rs`: one client connection: list, sign, session binding, the log;
//! - `confirm.rs`: asking before a signature (`[ssh_agent] confirm`).

mod confirm;
mod session;
mod socket;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::SshAgentArgs;
use crate::context::Ctx;

/// Runs `hush ssh-agent` until SIGTERM or SIGINT.
pub(crate) fn run(ctx: &Ctx, args: &SshAgentArgs) -> Result<()> {
    let path = match &args.socket {
        Some(path) => std::path::absolute(path).with_context(|| format!("cannot use {}", path.display()))?,
        None => socket::default_path(&ctx.profile)?,
    };
    if args.print_socket {
        return crate::output::line(path.display());
    }
    // It decrypts private keys for a moment at each signature: no core dump, no ptrace by
    // other processes of the user (docs/agent-and-clipboard.md, "Hardening").
    for warning in crate::agent::harden_process() {
        session::log(&format!("warning: {warning}"));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the ssh agent's event loop")?;
    runtime.block_on(serve(ctx, path))
}

async fn serve(ctx: &Ctx, path: PathBuf) -> Result<()> {
    let bound = socket::bind(&path)?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch for SIGINT")?;
    // The line `ssh-agent` prints, so that `eval "$(hush ssh-agent &)"`-style setups and tests
    // learn the socket, and know that it listens, from the first line of standard output.
    crate::output::line(format!("SSH_AUTH_SOCK={}; export SSH_AUTH_SOCK;", path.display()))?;
    session::log(&format!("listening on {} (pid {})", path.display(), std::process::id()));
    let agent = session::HushAgent::new(Arc::new(session::Shared::new(ctx)));
    let result = tokio::select! {
        r = ssh_agent_lib::agent::listen(bound.listener, agent) => r.context("the ssh agent stopped"),
        _ = terminate.recv() => Ok(()),
        _ = interrupt.recv() => Ok(()),
    };
    bound.guard.remove();
    session::log("stopped");
    result
}

//! `hush unlock`: derive the vault key once and leave it with the agent, so that later
//! commands skip the KDF for the idle timeout (docs/agent-and-clipboard.md, "The agent").

use anyhow::{Result, bail};

use crate::agent::{self, client};
use crate::cli::UnlockArgs;
use crate::context::Ctx;
use crate::output;

/// Runs `hush unlock`.
pub(super) fn run(ctx: &Ctx, args: &UnlockArgs) -> Result<()> {
    if !ctx.use_agent {
        bail!("`hush unlock` starts the agent, so it cannot run with --no-agent");
    }
    let timeout = args.timeout.unwrap_or(ctx.config.agent_timeout);
    if timeout == 0 {
        bail!("the agent timeout must be at least 1 second (--timeout, or agent_timeout in config.toml)");
    }
    let header = ctx.header()?;
    let account_id = header.account_id();
    let Some(socket) = agent::socket_path(&ctx.profile, true)? else {
        bail!("cannot create the agent's runtime folder");
    };
    // Unlocking twice costs nothing: an agent that already holds this vault's key is
    // left as it is (`hush lock` first to change its timeout).
    match client::status(&socket) {
        Ok(Some(status))
            if status.unlocked
                && status.account_id.as_deref().and_then(|s| s.parse::<hush_crypto::AccountId>().ok())
                    == Some(account_id) =>
        {
            eprintln!(
                "Already unlocked; locks after {} without use (`hush lock` to lock now).",
                output::duration(status.remaining_secs)
            );
            return Ok(());
        }
        Err(client::AgentError::OtherVersion { .. }) => {
            eprintln!("note: replacing the running agent, which is from another hush version");
        }
        _ => {}
    }
    // Proven here and handed over below with this command's own timeout (not through
    // `Ctx::keep_in_agent`, which would use the configured one).
    let derived = ctx.prove_password(&header)?;
    let warnings =
        client::start_and_hand_over(&socket, &account_id, &derived.ring, Some(&derived.keys.auth), timeout)?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    eprintln!("Unlocked; locks after {} without use (`hush lock` to lock now).", output::duration(timeout));
    Ok(())
}

//! `hush lock`: the agent forgets the key at once and exits (docs/agent-and-clipboard.md,
//! "The agent").

use anyhow::Result;

use crate::agent::{self, client};
use crate::context::Ctx;

/// Runs `hush lock`. Locking when nothing is unlocked is not an error: the user's
/// intent, "no key in memory", holds either way.
pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let Some(socket) = agent::socket_path(&ctx.profile, false)? else {
        eprintln!("Not unlocked.");
        return Ok(());
    };
    match client::lock(&socket)? {
        client::LockOutcome::NotRunning => eprintln!("Not unlocked."),
        client::LockOutcome::Locked => eprintln!("Locked."),
        client::LockOutcome::OtherVersion => {
            eprintln!("Locked (stopped an agent from another hush version).")
        }
    }
    Ok(())
}

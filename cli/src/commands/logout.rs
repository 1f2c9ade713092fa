//! `hush logout`: end this device's session; the local vault stays.

use std::time::Duration;

use anyhow::Result;
use hush_proto::SessionToken;
use hush_sync::Transport;

use crate::context::Ctx;
use crate::remote;

/// Runs `hush logout`.
pub fn run(ctx: &Ctx) -> Result<()> {
    ctx.update(|vault| {
        let transport = remote::connected_transport(ctx, vault.state(), Duration::from_secs(30))?;
        let token = SessionToken::new(hush_sync::session_token(vault)?.to_string());
        if let Err(e) = transport.logout(&token) {
            // The session may already be revoked; forgetting it locally is what matters.
            eprintln!("note: the server did not confirm the logout ({e}); forgetting the session anyway");
        }
        vault.state_mut().sync = None;
        Ok(())
    })?;
    eprintln!("Logged out. The vault stays on this device; `hush login` connects it again.");
    Ok(())
}

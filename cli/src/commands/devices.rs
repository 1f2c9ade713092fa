//! `hush devices`: the account's sessions; `hush devices revoke ID` ends one.

use std::time::Duration;

use anyhow::{Result, anyhow};
use hush_proto::{SessionId, SessionToken};
use hush_sync::Transport;
use serde::Serialize;

use crate::cli::{DevicesArgs, DevicesCommand};
use crate::context::Ctx;
use crate::{output, remote};

#[derive(Serialize)]
struct DeviceJson {
    id: String,
    name: String,
    created: String,
    last_seen: String,
    current: bool,
}

/// Runs `hush devices`.
pub fn run(ctx: &Ctx, args: &DevicesArgs) -> Result<()> {
    // Only the sealed state is needed (server and token): no item is decrypted.
    let state = ctx.view()?.state()?;
    let transport = remote::connected_transport(ctx, &state, Duration::from_secs(30))?;
    let sync = state.sync.as_ref().ok_or(hush_sync::SyncError::NotConnected)?;
    let token = SessionToken::new(sync.token.clone());
    match &args.command {
        Some(DevicesCommand::Revoke { id }) => {
            let session: SessionId =
                id.parse().map_err(|_| anyhow!("{id:?} is not a session id; see `hush devices`"))?;
            transport.revoke(&token, &session).map_err(hush_sync::SyncError::from_call)?;
            eprintln!("Revoked {id}. That device must log in again to sync.");
            Ok(())
        }
        None => {
            let list = transport.sessions(&token).map_err(hush_sync::SyncError::from_call)?;
            if args.json {
                let devices: Vec<_> = list
                    .sessions
                    .iter()
                    .map(|s| DeviceJson {
                        id: s.id.to_string(),
                        name: s.device_name.clone(),
                        created: s.created.to_string(),
                        last_seen: s.last_seen.to_string(),
                        current: s.current,
                    })
                    .collect();
                return output::json(&devices);
            }
            for s in &list.sessions {
                let mark = if s.current { "  (this device)" } else { "" };
                output::line(format!("{}  {:<20}  last seen {}{mark}", s.id, s.device_name, s.last_seen))?;
            }
            Ok(())
        }
    }
}

//! `hush devices`: the account's sessions, with the names the devices sealed;
//! `hush devices revoke DEVICE` ends one, named by its name or a prefix of its id.

use anyhow::{Result, anyhow};
use serde::Serialize;

use crate::cli::{DevicesArgs, DevicesCommand};
use crate::context::Ctx;
use crate::{output, remote};

#[derive(Serialize)]
struct DeviceJson {
    id: String,
    name: Option<String>,
    created: String,
    last_seen: String,
    current: bool,
}

/// Runs `hush devices`.
pub(super) fn run(ctx: &Ctx, args: &DevicesArgs) -> Result<()> {
    // Only the sealed state is needed (server and token): no item is decrypted.
    let view = ctx.view()?;
    let state = view.state()?;
    let account = view.header().account_id();
    let (_, account_key) = ctx.account_key()?;
    let transport = remote::connected_transport(ctx, &state)?;
    let devices = {
        let _progress = remote::Progress::start("Asking the server".into());
        hush_sync::devices::list(&state, &account, &account_key, &transport)?
    };
    match &args.command {
        Some(DevicesCommand::Revoke { device }) => {
            let found =
                hush_sync::devices::find(&devices, device).map_err(|e| anyhow!("{e}; see `hush devices`"))?;
            hush_sync::devices::revoke(&state, &transport, &found.id)?;
            let name = found.name.as_deref().unwrap_or("unnamed device");
            eprintln!("Revoked {name} ({}). That device must log in again to sync.", found.id);
            Ok(())
        }
        None => {
            if args.json {
                let json: Vec<_> = devices
                    .iter()
                    .map(|d| DeviceJson {
                        id: d.id.to_string(),
                        name: d.name.clone(),
                        created: d.created.to_string(),
                        last_seen: d.last_seen.to_string(),
                        current: d.current,
                    })
                    .collect();
                return output::json(&json);
            }
            for d in &devices {
                let mark = if d.current { "  (this device)" } else { "" };
                let name = d.name.as_deref().unwrap_or("(unnamed)");
                output::line(format!(
                    "{}  {:<28}  last seen {}{mark}",
                    &d.id.to_string()[..8],
                    name,
                    d.last_seen
                ))?;
            }
            Ok(())
        }
    }
}

//! The client side of sync for the commands: building the transport for the
//! configured server, and the quiet automatic sync after changes.

use std::time::Duration;

use anyhow::{Context as _, Result};
use hush_sync::http::{HttpTransport, check_server_url};
use hush_vault::Vault;
use hush_vault::state::LocalState;

use crate::context::Ctx;

/// The device name the server lists in `hush devices`: the host name.
pub fn device_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "device".to_owned())
}

/// A transport for `url`, refusing plain http to non-loopback hosts unless allowed.
pub fn transport(ctx: &Ctx, url: &str, insecure_http: bool, timeout: Duration) -> Result<HttpTransport> {
    let url = check_server_url(url, insecure_http)?;
    Ok(HttpTransport::new(&url, ctx.config.sync.ca_file.as_deref(), timeout)?)
}

/// The transport for the server this vault is connected to (`state` is the vault's
/// sealed state: `vault.state()`, or a read-only view's).
pub fn connected_transport(ctx: &Ctx, state: &LocalState, timeout: Duration) -> Result<HttpTransport> {
    let sync = state.sync.as_ref().ok_or(hush_sync::SyncError::NotConnected)?;
    transport(ctx, &sync.server_url, sync.insecure_http, timeout)
        .context("cannot reach the configured server")
}

/// After a change: if `sync.auto` is set in config.toml and the vault is connected,
/// sync now. Quiet when the server is unreachable: the change stays queued for the
/// next sync. Tampering is never quiet.
pub fn auto_sync(ctx: &Ctx, vault: &mut Vault) -> bool {
    if !ctx.config.sync.auto || vault.state().sync.is_none() {
        return false;
    }
    let Ok(transport) = connected_transport(ctx, vault.state(), Duration::from_secs(5)) else { return false };
    match hush_sync::sync(vault, &transport, hush_vault::now()) {
        Ok(_) => true,
        Err(e @ hush_sync::SyncError::Tampered(_)) => {
            eprintln!("hush: {e}");
            false
        }
        Err(_) => false,
    }
}

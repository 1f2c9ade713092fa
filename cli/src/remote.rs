//! The client side of sync for the commands: the server URL as this device remembers it, the
//! transport for it, the default device name, and the automatic sync after changes.

use std::time::Duration;

use anyhow::{Context as _, Result};
use hush_sync::http::{HttpTransport, check_server_url};
use hush_vault::Vault;
use hush_vault::local_state::LocalState;

use crate::context::Ctx;

/// The name this device shows in `hush devices` when none is given: the operating system and
/// the day it joined, never the host name (which often names its owner, and which the server
/// must not learn; names are sealed anyway, docs/spec/crypto-v2.md, "Device names").
pub fn default_device_name() -> String {
    let os = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "macOS",
        "freebsd" => "FreeBSD",
        other => other,
    };
    format!("{os} device, added {}", crate::output::date(hush_vault::now()))
}

/// A server URL checked (https, or plain http only to loopback or with `--insecure-http`) and
/// normalised, so that `https://Host/` and `https://host` are one server.
pub fn server_url(url: &str, insecure_http: bool) -> Result<String> {
    Ok(hush_sync::normalize_server_url(&check_server_url(url, insecure_http)?))
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

/// After a change: if `sync.auto` is set in config.toml and the vault is connected, sync now.
/// `Ok(true)` when it synced (the caller saves again). Quiet but for one note when the server
/// cannot be reached: the change is saved and waits for the next sync. Tampering is an error:
/// the command that triggered the sync fails with it (exit 6), after its own change was saved.
pub fn auto_sync(ctx: &Ctx, vault: &mut Vault) -> Result<bool> {
    if !ctx.config.sync.auto || vault.state().sync.is_none() {
        return Ok(false);
    }
    let Ok(transport) = connected_transport(ctx, vault.state(), Duration::from_secs(5)) else {
        return Ok(false);
    };
    match hush_sync::sync(vault, &transport, &mut ctx.profile.clone(), hush_vault::now()) {
        Ok(report) => {
            for u in &report.undeleted {
                eprintln!("hush: {}", crate::commands::sync_cmd_line(u));
            }
            Ok(true)
        }
        Err(e @ hush_sync::SyncError::Tampered(_)) => Err(e.into()),
        Err(hush_sync::SyncError::Transport(hush_sync::TransportError::Network(_))) => {
            eprintln!("note: the server cannot be reached; the change is saved here and will sync later");
            Ok(false)
        }
        Err(e) => {
            eprintln!("note: the automatic sync failed ({e}); the change is saved here");
            Ok(false)
        }
    }
}

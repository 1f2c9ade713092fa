//! The client side of sync for the commands: the server URL as this device remembers it, the
//! transport for it, the default device name, and the automatic sync after changes.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use hush_sync::http::{HttpTransport, check_server_url};
use hush_vault::Vault;
use hush_vault::local_state::LocalState;

use crate::context::Ctx;

/// The name this device shows in `hush devices` when none is given: the operating system and
/// the day it joined, never the host name (which often names its owner, and which the server
/// must not learn; names are sealed anyway, docs/spec/crypto-v2.md, "Device names").
pub(crate) fn default_device_name() -> String {
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
pub(crate) fn server_url(url: &str, insecure_http: bool) -> Result<String> {
    Ok(hush_sync::normalize_server_url(&check_server_url(url, insecure_http)?))
}

/// How long to wait for the server to accept a connection, and then for each answer:
/// `[sync] timeout` in config.toml (docs/sync.md, "A slow or frozen server").
pub(crate) fn wait(ctx: &Ctx) -> Duration {
    Duration::from_secs(ctx.config.sync.timeout)
}

/// A transport for `url`, refusing plain http to non-loopback hosts unless allowed.
pub(crate) fn transport(ctx: &Ctx, url: &str, insecure_http: bool) -> Result<HttpTransport> {
    let url = check_server_url(url, insecure_http)?;
    Ok(HttpTransport::new(&url, ctx.config.sync.ca_file.as_deref(), wait(ctx))?)
}

/// The transport for the server this vault is connected to (`state` is the vault's
/// sealed state: `vault.state()`, or a read-only view's). A vault that is not connected says
/// how to connect it: after a `hush logout`, `hush login` (the server is remembered), never
/// `hush register`, which would make a new account (issue #10, point 15).
pub(crate) fn connected_transport(ctx: &Ctx, state: &LocalState) -> Result<HttpTransport> {
    let Some(sync) = state.sync.as_ref() else {
        return Err(match &state.last_server {
            Some(last) => {
                anyhow!("this device is logged out of {}; `hush login` connects it again", last.server_url)
            }
            None => hush_sync::SyncError::NotConnected.into(),
        });
    };
    transport(ctx, &sync.server_url, sync.insecure_http).context("cannot reach the configured server")
}

/// After a change: if `sync.auto` is set in config.toml and the vault is connected, sync now.
/// `Ok(true)` when it synced (the caller saves again). Quiet but for one note when the server
/// cannot be reached: the change is saved and waits for the next sync. Tampering is an error:
/// the command that triggered the sync fails with it (exit 6), after its own change was saved.
pub(crate) fn auto_sync(ctx: &Ctx, vault: &mut Vault) -> Result<bool> {
    if !ctx.config.sync.auto || vault.state().sync.is_none() {
        return Ok(false);
    }
    let Ok(transport) = connected_transport(ctx, vault.state()) else {
        return Ok(false);
    };
    let server = vault.state().sync.as_ref().map(|s| s.server_url.clone()).unwrap_or_default();
    let synced = {
        let _progress = Progress::start(format!("Syncing with {server}"));
        hush_sync::sync(vault, &transport, &mut ctx.profile.clone(), hush_vault::now())
    };
    match synced {
        Ok(report) => {
            for u in &report.undeleted {
                eprintln!("hush: {}", crate::commands::sync_cmd_line(u));
            }
            Ok(true)
        }
        Err(e @ hush_sync::SyncError::Tampered(_)) => Err(e.into()),
        Err(hush_sync::SyncError::Transport(hush_sync::TransportError::Network(why))) => {
            eprintln!(
                "note: the change is saved here and will sync later (`hush sync`); the server cannot be reached: {why}"
            );
            Ok(false)
        }
        Err(e) => {
            eprintln!("note: the automatic sync failed ({e}); the change is saved here");
            Ok(false)
        }
    }
}

/// A line on stderr that counts the seconds while a network operation takes longer than one
/// (issue #10, point 14), and is wiped when it ends: only on a terminal, where it tells a person
/// that hush is waiting for the server and not stuck; in a pipe or a log it would be noise.
pub(crate) struct Progress {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How long an operation runs before [`Progress`] shows itself.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

impl Progress {
    /// Starts counting for `what` ("Syncing with https://…").
    pub(crate) fn start(what: String) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { stop: None, thread: None };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut width = 0;
            // Plain carriage returns and spaces, no escape sequences: they work on every
            // terminal, `TERM=dumb` included.
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(PROGRESS_AFTER) {
                let line = format!("{what}: waiting for the server ({} s)", started.elapsed().as_secs());
                width = width.max(line.chars().count());
                eprint!("\r{line:<width$}");
            }
            if width > 0 {
                eprint!("\r{:width$}\r", "");
            }
        });
        Progress { stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

//! `hush status`: whether the vault is unlocked, and for how long; when unlocked, the server it
//! syncs with and the fingerprint of the last server state this device accepted, so that two
//! devices can be compared by eye (docs/spec/crypto-v2.md, "Manifest": equal heads, equal
//! fingerprints).
//!
//! It exits 0 when unlocked and 1 when not (locked, or no vault here), with `--json` too, so
//! that a shell prompt or a script can ask `hush status >/dev/null` (issue #10, point 16), as
//! `rbw unlocked` does.

use anyhow::Result;
use hush_crypto::AccountId;
use serde::Serialize;

use crate::agent::{self, client};
use crate::cli::StatusArgs;
use crate::context::Ctx;
use crate::exit::Outcome;
use crate::output;

/// The JSON form (`hush status --json`).
#[derive(Serialize)]
struct StatusJson {
    /// `unlocked`, `locked`, or `no_vault` (nothing to unlock in this folder).
    state: &'static str,
    /// Whether commands currently run without the master password.
    unlocked: bool,
    /// Seconds until the agent forgets the key unless it is used (0 when locked).
    remaining_secs: u64,
    /// The agent's idle timeout (0 when locked).
    timeout_secs: u64,
    /// `running`, `none`, `other_version`, `other_vault` or `unavailable`.
    agent: &'static str,
    /// The agent's process id.
    agent_pid: Option<u32>,
    /// The agent's socket.
    socket: Option<String>,
    /// What this device knows of its sync server (only while unlocked: it is sealed).
    sync: Option<SyncJson>,
}

/// The sync part of `hush status --json`.
#[derive(Serialize)]
struct SyncJson {
    /// The server, if connected.
    server: Option<String>,
    /// The last server state this device accepted.
    head: Option<HeadJson>,
    /// Local changes not pushed yet.
    pending: usize,
}

#[derive(Serialize)]
struct HeadJson {
    counter: u64,
    fingerprint: String,
    key_version: u32,
}

/// Runs `hush status`: [`Outcome::Done`] (exit 0) when unlocked, else [`Outcome::Findings`]
/// (exit 1).
pub(super) fn run(ctx: &Ctx, args: &StatusArgs) -> Result<Outcome> {
    // The vault's account, to tell "unlocked" from "an agent for another vault".
    let account = ctx.header().ok().map(|h| h.account_id());
    let mut out = StatusJson {
        state: "locked",
        unlocked: false,
        remaining_secs: 0,
        timeout_secs: 0,
        agent: "none",
        agent_pid: None,
        socket: None,
        sync: None,
    };
    let mut note = None;
    match agent::socket_path(&ctx.profile, false) {
        Err(e) => {
            out.agent = "unavailable";
            note = Some(format!("the agent cannot be used: {e:#}"));
        }
        Ok(None) => {}
        Ok(Some(socket)) => {
            out.socket = Some(socket.display().to_string());
            match client::status(&socket) {
                Ok(None) => {}
                Ok(Some(s)) => {
                    out.agent = "running";
                    out.agent_pid = Some(s.pid);
                    let agent_account = s.account_id.as_deref().and_then(|s| s.parse::<AccountId>().ok());
                    if s.unlocked && account.is_some() && agent_account != account {
                        out.agent = "other_vault";
                        note = Some("the agent holds the key of another vault; `hush lock`".into());
                    } else if s.unlocked {
                        out.unlocked = true;
                        out.remaining_secs = s.remaining_secs;
                        out.timeout_secs = s.timeout_secs;
                    }
                }
                Err(client::AgentError::OtherVersion { pid, .. }) => {
                    out.agent = "other_version";
                    out.agent_pid = pid.and_then(|p| u32::try_from(p).ok());
                    note = Some(client::OTHER_VERSION.into());
                }
                Err(e) => {
                    out.agent = "unavailable";
                    note = Some(e.to_string());
                }
            }
        }
    }
    if let Some(note) = &note {
        eprintln!("hush: {note}");
    }
    if out.unlocked {
        out.state = "unlocked";
        out.sync = sync_status(ctx);
    } else if !ctx.profile.vault().exists() {
        out.state = "no_vault";
    }
    let outcome = Outcome::findings_if(!out.unlocked);
    if args.json {
        output::json(&out)?;
        return Ok(outcome);
    }
    // The state word in colour on a terminal (green: commands run without the
    // password), plain under NO_COLOR or in a pipe.
    let paint = |word: &str, code: &str| {
        if output::color() { format!("\x1b[{code}m{word}\x1b[0m") } else { word.to_owned() }
    };
    if out.unlocked {
        output::line(format!(
            "{}: locks after {} without use (timeout {}, agent pid {})",
            paint("unlocked", "32"),
            output::duration(out.remaining_secs),
            output::duration(out.timeout_secs),
            out.agent_pid.unwrap_or_default()
        ))?;
        if let Some(sync) = &out.sync {
            match (&sync.server, &sync.head) {
                (Some(server), Some(head)) => output::line(format!(
                    "synced with {server}: state {} (push {}), {} change(s) to push",
                    head.fingerprint, head.counter, sync.pending
                ))?,
                (Some(server), None) => output::line(format!("connected to {server}; not synced yet"))?,
                (None, Some(head)) => output::line(format!(
                    "not connected (`hush login`); last accepted state {} (push {})",
                    head.fingerprint, head.counter
                ))?,
                (None, None) => output::line("not connected to a server")?,
            }
        }
    } else if out.state == "no_vault" {
        output::line(format!(
            "no vault in {} (`hush init` creates one, `hush login --server URL` fetches yours)",
            ctx.profile.dir().display()
        ))?;
    } else {
        output::line(paint("locked", "1"))?;
    }
    Ok(outcome)
}

/// The sync state, read with the agent's key; `None` if that fails (the vault changed since).
fn sync_status(ctx: &Ctx) -> Option<SyncJson> {
    let header = ctx.header().ok()?;
    let ring = agent::client::fetch_key(&ctx.profile, &header.account_id())?;
    let view = ctx.view_with_key(ring).ok()?;
    let state = view.state().ok()?;
    let head = state.accepted(&header.account_id()).head;
    Some(SyncJson {
        server: state.sync.as_ref().map(|s| s.server_url.clone()),
        head: head.map(|h| HeadJson {
            counter: h.counter,
            fingerprint: h.chain.fingerprint(),
            key_version: h.key_version,
        }),
        pending: state.pending.len(),
    })
}

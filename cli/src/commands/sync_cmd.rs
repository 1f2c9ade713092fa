//! `hush sync`: pull, verify, merge, push; say what changed. `--reset-trust` is the one way to
//! accept a server state that does not extend what this device accepted (docs/spec/sync-api-v2.md,
//! "Resetting trust").

use anyhow::{Result, bail};
use hush_crypto::{ItemId, KeyRing};
use hush_vault::Vault;
use serde::Serialize;

use crate::cli::SyncArgs;
use crate::context::Ctx;
use crate::{output, prompt, remote};

#[derive(Serialize)]
struct HeldBack {
    name: String,
    bytes: usize,
}

#[derive(Serialize)]
struct Head {
    counter: u64,
    fingerprint: String,
    key_version: u32,
}

#[derive(Serialize)]
struct SyncJson {
    received: Vec<String>,
    merged: Vec<String>,
    pushed: Vec<String>,
    held_back: Vec<HeldBack>,
    /// Items deleted on one device and kept by an edit on another (issue #10).
    undeleted: Vec<UndeletedJson>,
    /// Items whose 30 days in the trash were over: deleted for good by this sync.
    purged: Vec<String>,
    seq: u64,
    head: Option<Head>,
}

#[derive(Serialize)]
struct UndeletedJson {
    name: String,
    /// "here" (this device deleted it) or "elsewhere" (another device did).
    deleted: &'static str,
}

/// The line that tells of a deletion a concurrent edit undid.
pub(crate) fn undeleted_line(u: &hush_sync::Undeleted) -> String {
    match u.undone {
        hush_sync::Undone::Here => format!(
            "{}: deleted here, but edited on another device meanwhile; the edit keeps it (`hush rm` \
             deletes it again)",
            u.name
        ),
        hush_sync::Undone::There => {
            format!("{}: deleted on another device, but edited here meanwhile; your edit keeps it", u.name)
        }
    }
}

/// What `--reset-trust` costs, said before it happens.
const RESET_WARNING: &str = "\
Resetting trust: this device forgets the server state it accepted, takes the server's current
state as it is, merges everything this device holds into it and pushes the result. Nothing on
this device is lost. You give up: detection of any rollback or fork that happened before now.
Other devices that report tampering must be reset the same way; changes that only they hold
come back when they sync.";

/// Names the items of a report (deleted ones by id).
fn names(vault: &Vault, ids: &[ItemId]) -> Vec<String> {
    ids.iter().map(|id| name(vault, id)).collect()
}

fn name(vault: &Vault, id: &ItemId) -> String {
    match vault.entries().get(id) {
        Some(e) if !e.item.deleted => e.item.name.clone(),
        _ => format!("{id} (deleted)"),
    }
}

/// Syncs the vault and writes the result, as `hush sync` does; returns the vault as written.
pub(crate) fn sync_once(ctx: &Ctx, ring: KeyRing) -> Result<Vault> {
    Ok(sync_vault(ctx, ring, false)?.0)
}

/// What a sync did: the vault as written, the engine's report, and the names of the items whose
/// time in the trash was over (deleted for good by this sync).
type Synced = (Vault, hush_sync::SyncReport, Vec<String>);

/// The sync loop of `hush sync`. The network round trips run without the writers' lock, so that
/// a slow server never holds up another `hush`; the result is written only over the version that
/// was read. If another command wrote meanwhile, sync again on top of its change (docs/sync.md).
/// Afterwards, the chunks of files no item references any more (removed on another device) are
/// removed from this device's `files/` folder.
fn sync_vault(ctx: &Ctx, ring: KeyRing, reset_trust: bool) -> Result<Synced> {
    for _ in 0..3 {
        let (mut vault, version) = ctx.profile.open(ring.clone())?;
        let transport = remote::connected_transport(ctx, vault.state())?;
        if reset_trust {
            hush_sync::reset_trust(&mut vault);
        }
        let server = vault.state().sync.as_ref().map(|s| s.server_url.clone()).unwrap_or_default();
        let now = hush_vault::now();
        // Expired trash becomes tombstones before the push, so that the deletion syncs and the
        // engine deletes the server's chunks of their files (docs/attachments.md, "Deleting").
        let purged = vault.purge_expired_trash(now);
        let report = {
            let _progress = remote::Progress::start(format!("Syncing with {server}"));
            hush_sync::sync(&mut vault, &transport, &mut ctx.profile.clone(), now)?
        };
        if ctx.profile.commit(&vault, version)?.is_some() {
            ctx.profile.prune_files(ring)?;
            return Ok((vault, report, purged));
        }
    }
    bail!("other hush commands kept changing the vault during the sync; run `hush sync` again");
}

/// Runs `hush sync`.
pub(crate) fn run(ctx: &Ctx, args: &SyncArgs) -> Result<()> {
    if args.reset_trust {
        eprintln!("{RESET_WARNING}");
        if !args.yes && !prompt::confirm("Reset trust in the server's state?")? {
            bail!("not reset; pass --yes with --reset-trust in a script");
        }
    }
    let ring = ctx.key_ring(&ctx.header()?)?;
    let (vault, report, purged) = sync_vault(ctx, ring, args.reset_trust)?;
    let summary = SyncJson {
        received: names(&vault, &report.received),
        merged: names(&vault, &report.merged),
        pushed: names(&vault, &report.pushed),
        held_back: report
            .held_back
            .iter()
            .map(|(id, bytes)| HeldBack { name: name(&vault, id), bytes: *bytes })
            .collect(),
        undeleted: report
            .undeleted
            .iter()
            .map(|u| {
                eprintln!("hush: {}", undeleted_line(u));
                let deleted = match u.undone {
                    hush_sync::Undone::Here => "here",
                    hush_sync::Undone::There => "elsewhere",
                };
                UndeletedJson { name: u.name.clone(), deleted }
            })
            .collect(),
        purged,
        seq: report.seq,
        head: report.head.as_ref().map(|h| Head {
            counter: h.counter,
            fingerprint: h.chain.fingerprint(),
            key_version: h.key_version,
        }),
    };
    for (id, file) in &report.waiting_for_files {
        eprintln!(
            "hush: {} waits: its file {file} is neither on the server nor whole in this device's files/ \
             folder, so it was not pushed. Remove the file from the item (`hush file rm`) if it is lost.",
            name(&vault, id)
        );
    }
    if !report.files_not_deleted.is_empty() {
        eprintln!(
            "note: {} removed file(s) could not be deleted from the server (it keeps their ciphertext only)",
            report.files_not_deleted.len()
        );
    }
    for held in &summary.held_back {
        eprintln!(
            "hush: {} is too large to sync ({} KiB, the limit is {} KiB); shorten its notes or history. \
             Everything else synced.",
            held.name,
            held.bytes / 1024,
            hush_sync::MAX_PUSHED_BLOB / 1024
        );
    }
    if args.json {
        return output::json(&summary);
    }
    for name in &summary.purged {
        eprintln!("{name}: 30 days in the trash are over; deleted for good");
    }
    if summary.received.is_empty() && summary.merged.is_empty() && summary.pushed.is_empty() {
        eprintln!("Up to date.");
    }
    for (what, list) in
        [("received", &summary.received), ("merged", &summary.merged), ("pushed", &summary.pushed)]
    {
        for name in list {
            output::line(format!("{what:<9} {name}"))?;
        }
    }
    Ok(())
}

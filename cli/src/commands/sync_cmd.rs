//! `hush sync`: pull, verify, merge, push; say what changed.

use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::cli::SyncArgs;
use crate::context::Ctx;
use crate::{output, remote};

#[derive(Serialize)]
struct SyncJson {
    received: Vec<String>,
    merged: Vec<String>,
    pushed: Vec<String>,
    seq: u64,
}

/// Runs `hush sync`.
pub fn run(ctx: &Ctx, args: &SyncArgs) -> Result<()> {
    let key = ctx.vault_key(&ctx.read_file()?)?;
    let _lock = ctx.paths.lock_exclusive()?;
    let mut vault = hush_vault::Vault::open(&ctx.read_file()?, key)?;
    let transport = remote::connected_transport(ctx, &vault, Duration::from_secs(120))?;
    let report = hush_sync::sync(&mut vault, &transport, hush_vault::now())?;
    ctx.save(&vault)?;
    let name = |id: &hush_crypto::ItemId| {
        vault.entries().get(id).map(|e| if e.item.deleted { format!("{id} (deleted)") } else { e.item.name.clone() }).unwrap_or_default()
    };
    if args.json {
        return output::json(&SyncJson {
            received: report.received.iter().map(name).collect(),
            merged: report.merged.iter().map(name).collect(),
            pushed: report.pushed.iter().map(name).collect(),
            seq: report.seq,
        });
    }
    if report.received.is_empty() && report.merged.is_empty() && report.pushed.is_empty() {
        eprintln!("Up to date.");
    }
    for (what, ids) in [("received", &report.received), ("merged", &report.merged), ("pushed", &report.pushed)] {
        for id in ids {
            output::line(format!("{what:<9} {}", name(id)))?;
        }
    }
    Ok(())
}

//! `hush sync`: pull, verify, merge, push; say what changed.

use std::time::Duration;

use anyhow::Result;
use hush_crypto::ItemId;
use hush_vault::Vault;
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

/// Names the items of a report (deleted ones by id).
fn names(vault: &Vault, ids: &[ItemId]) -> Vec<String> {
    ids.iter()
        .map(|id| match vault.entries().get(id) {
            Some(e) if !e.item.deleted => e.item.name.clone(),
            _ => format!("{id} (deleted)"),
        })
        .collect()
}

/// Runs `hush sync`.
pub fn run(ctx: &Ctx, args: &SyncArgs) -> Result<()> {
    let key = ctx.vault_key(&ctx.header()?)?;
    let summary = ctx.update_with_key(key, |vault| {
        let transport = remote::connected_transport(ctx, vault.state(), Duration::from_secs(120))?;
        let report = hush_sync::sync(vault, &transport, hush_vault::now())?;
        let summary = SyncJson {
            received: names(vault, &report.received),
            merged: names(vault, &report.merged),
            pushed: names(vault, &report.pushed),
            seq: report.seq,
        };
        Ok((summary, true))
    })?;
    if args.json {
        return output::json(&summary);
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

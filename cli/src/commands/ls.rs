//! `hush ls`: answered from the sealed search index, without decrypting any item.

use anyhow::Result;
use hush_vault::ItemLookup;

use crate::cli::LsArgs;
use crate::context::Ctx;
use crate::output::{self, ListJson};

/// Runs `hush ls`.
pub(super) fn run(ctx: &Ctx, args: &LsArgs) -> Result<()> {
    let vault = ctx.view()?;
    let ids = vault.search(args.query.as_deref().unwrap_or(""));
    let entries: Vec<_> = ids.iter().filter_map(|id| vault.entry(id)).collect();
    if args.json {
        return output::json(&entries.iter().map(ListJson::new).collect::<Vec<_>>());
    }
    if entries.is_empty() {
        if vault.entries().next().is_none() {
            eprintln!("The vault is empty; add an item with `hush add NAME`.");
        } else {
            eprintln!("No item matches.");
        }
        return Ok(());
    }
    let width = entries.iter().map(|e| e.name.chars().count()).max().unwrap_or(0).min(40);
    output::lines(entries.iter().map(|e| {
        let mut line = format!("{}  {:<width$}  {}", &e.item_id().to_string()[..8], e.name, e.username);
        if e.rotation_pending {
            line.push_str("  [rotation pending]");
        }
        line.truncate(line.trim_end().len());
        line
    }))
}

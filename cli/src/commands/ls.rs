//! `hush ls`.

use anyhow::Result;

use crate::cli::LsArgs;
use crate::context::Ctx;
use crate::output::{self, ListJson};

/// Runs `hush ls`.
pub fn run(ctx: &Ctx, args: &LsArgs) -> Result<()> {
    let vault = ctx.open()?;
    let ids = vault.search(args.query.as_deref().unwrap_or(""));
    let items: Vec<_> = ids.iter().filter_map(|id| vault.get(id).map(|i| (id, i))).collect();
    if args.json {
        return output::json(&items.iter().map(|(id, i)| ListJson::new(id, i)).collect::<Vec<_>>());
    }
    if items.is_empty() {
        if vault.is_empty() {
            eprintln!("The vault is empty; add an item with `hush add NAME`.");
        } else {
            eprintln!("No item matches.");
        }
        return Ok(());
    }
    let width = items.iter().map(|(_, i)| i.name.chars().count()).max().unwrap_or(0).min(40);
    for (id, item) in items {
        let mut line = format!("{}  {:<width$}  {}", &id.to_string()[..8], item.name, item.username);
        if item.rotation_pending {
            line.push_str("  [rotation pending]");
        }
        output::line(line.trim_end())?;
    }
    Ok(())
}

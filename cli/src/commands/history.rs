//! `hush history`: previous passwords with the dates they were replaced.

use anyhow::Result;

use crate::cli::HistoryArgs;
use crate::context::{Ctx, find_one};
use crate::output;

/// Runs `hush history`.
pub fn run(ctx: &Ctx, args: &HistoryArgs) -> Result<()> {
    let vault = ctx.open()?;
    let id = find_one(&vault, &args.query)?;
    let item = vault.get(&id).expect("found items exist");
    if args.json {
        return output::json(&output::history_json(item));
    }
    if item.history.is_empty() {
        eprintln!("{} has no previous passwords.", item.name);
        return Ok(());
    }
    for h in item.history.iter().rev() {
        output::line(format!("{}  {}", output::date(h.replaced_at), h.password))?;
    }
    Ok(())
}

//! `hush history`: previous passwords with the dates they were replaced.

use anyhow::Result;

use crate::cli::HistoryArgs;
use crate::context::Ctx;
use crate::output;

/// Runs `hush history`.
pub fn run(ctx: &Ctx, args: &HistoryArgs) -> Result<()> {
    let (_, item) = ctx.view_one(&args.query)?;
    let item = &item;
    if args.json {
        return output::json(&hush_import::hush_json::history(item));
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

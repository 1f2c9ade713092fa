//! `hush copy`: one field of an item onto the clipboard, cleared after a while
//! (docs/agent-and-clipboard.md, "The clipboard").

use anyhow::Result;
use zeroize::Zeroizing;

use crate::cli::CopyArgs;
use crate::clipboard;
use crate::commands::get::field_value;
use crate::context::Ctx;

/// Runs `hush copy`.
pub fn run(ctx: &Ctx, args: &CopyArgs) -> Result<()> {
    let clear_after = args.clear_after.unwrap_or(ctx.config.clipboard_clear_after);
    let (id, item) = ctx.view_one(&args.query)?;
    let item = &item;
    let value = Zeroizing::new(field_value(&id, item, &args.field)?);
    if value.is_empty() {
        anyhow::bail!("{} has an empty {}; nothing to copy", item.name, args.field);
    }
    // Messages go to stderr: stdout stays empty, as nothing was printed.
    let copied = clipboard::copy_with(&value, clear_after, args.osc52)?;
    eprintln!("{}", copied.message(&format!("the {} of {}", args.field, item.name), clear_after));
    Ok(())
}

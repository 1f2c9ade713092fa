//! `hush copy`: one field of an item onto the clipboard, cleared after a while
//! (DESIGN.md, "Clipboard").

use anyhow::Result;
use zeroize::Zeroizing;

use crate::cli::CopyArgs;
use crate::clipboard::{self, Copied};
use crate::commands::get::field_value;
use crate::commands::unlock::output_duration;
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
    match clipboard::copy_with(&value, clear_after, args.osc52)? {
        Copied::Display => eprintln!(
            "Copied the {} of {}; the clipboard is cleared in {}.",
            args.field,
            item.name,
            output_duration(clear_after)
        ),
        Copied::Osc52 => eprintln!(
            "Copied the {} of {} through the terminal (OSC 52). hush cannot read the terminal's \
             clipboard back, so it cannot clear it safely: clear it yourself after use.",
            args.field, item.name
        ),
    }
    Ok(())
}

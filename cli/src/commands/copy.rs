//! `hush copy`: one field of an item onto the clipboard, cleared after a while
//! (docs/agent-and-clipboard.md, "The clipboard"). Without --field it copies what the item is
//! for (issue #10): a login's password, a note's notes, a card's number, a TOTP-only item's
//! current code, an SSH key's public line.

use anyhow::{Result, bail};
use hush_crypto::ItemId;
use hush_vault::{Item, ItemKind};
use zeroize::Zeroizing;

use crate::cli::CopyArgs;
use crate::clipboard;
use crate::commands::get::field_value;
use crate::context::Ctx;

/// The field `hush copy` copies when none is named.
pub(super) fn default_field(item: &Item) -> &'static str {
    match item.kind {
        ItemKind::Login => "password",
        ItemKind::Note => "notes",
        ItemKind::Card => "number",
        ItemKind::TotpOnly => "totp",
        // What an SSH key is shared as (authorized_keys, a forge's settings); the private key
        // goes nowhere near a clipboard unless asked for by name.
        ItemKind::SshKey => "public_key",
    }
}

/// Runs `hush copy`.
pub(super) fn run(ctx: &Ctx, args: &CopyArgs) -> Result<()> {
    let (id, item) = ctx.view_one(&args.query)?;
    copy_field(ctx, &id, &item, args.field.as_deref(), args.clear_after, args.osc52)
}

/// Copies `field` (or the item's default) of `item`; shared with `hush pick --copy`.
pub(super) fn copy_field(
    ctx: &Ctx,
    id: &ItemId,
    item: &Item,
    field: Option<&str>,
    clear_after: Option<u64>,
    osc52: bool,
) -> Result<()> {
    let clear_after = clear_after.unwrap_or(ctx.config.clipboard_clear_after);
    let field = field.unwrap_or_else(|| default_field(item));
    let named = field != default_field(item);
    let value = match field_value(id, item, field) {
        Ok(v) => Zeroizing::new(v),
        // A card without a "number" field: say what it has instead of "no field".
        Err(_) if !named => Zeroizing::new(String::new()),
        Err(e) => return Err(e),
    };
    if value.is_empty() {
        let others = non_empty_fields(item);
        if !named && !others.is_empty() {
            bail!("{} has no {field}; copy another field with --field: {}", item.name, others.join(", "));
        }
        bail!("{} has an empty {field}; nothing to copy", item.name);
    }
    // Messages go to stderr: stdout stays empty, as nothing was printed.
    let copied = clipboard::copy_with(&value, clear_after, osc52)?;
    eprintln!("{}", copied.message(&format!("the {field} of {}", item.name), clear_after));
    Ok(())
}

/// The fields of `item` that have something to copy, by the names --field takes.
fn non_empty_fields(item: &Item) -> Vec<String> {
    let mut out = Vec::new();
    for (name, set) in [
        ("password", !item.password.is_empty()),
        ("username", !item.username.is_empty()),
        ("url", !item.urls.is_empty()),
        ("totp", item.has_totp()),
        ("notes", !item.notes.is_empty()),
    ] {
        if set {
            out.push(name.to_owned());
        }
    }
    out.extend(item.fields.iter().filter(|f| !f.value.is_empty()).map(|f| f.name.clone()));
    out
}

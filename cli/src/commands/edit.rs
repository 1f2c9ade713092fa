//! `hush edit`: every field is editable, including the name and the TOTP secret; with
//! `--editor`, the whole item as text in the user's editor (`crate::text_editor`). An edit
//! that changes nothing writes nothing, syncs nothing, and says so (issue #10).

use anyhow::{Result, bail};
use hush_crypto::ItemId;
use hush_vault::{Item, Scope, now};

use crate::cli::EditArgs;
use crate::commands::fields;
use crate::context::{Ctx, choose_one};
use crate::item_text::ItemText;
use crate::{prompt, text_editor};

/// Runs `hush edit`.
pub(super) fn run(ctx: &Ctx, args: &EditArgs) -> Result<()> {
    if args.editor {
        return edit_as_text(ctx, args);
    }
    let t = now();
    let kind = args.kind.map(hush_vault::ItemKind::from);
    let typed = if args.prompt_password { Some(prompt::new_secret("password for the item")?) } else { None };
    // Read stdin before taking the lock, and only once.
    let stdin_pw = if args.fields.password_stdin { Some(prompt::stdin_line()?) } else { None };
    let mut f = args.fields.clone();
    f.password_stdin = false;
    fields::read_dash_values(&mut f, &args.query)?;
    let (key, id) = resolve(ctx, &args.query)?;
    let outcome = ctx.edit_with_key(key, |vault| {
        let before = current(vault, &id, &args.query)?;
        let mut item = before.clone();
        if let Some(n) = &args.name {
            anyhow::ensure!(!n.trim().is_empty(), "the new name is empty");
            item.name = n.trim().to_owned();
        }
        if let Some(k) = kind {
            item.kind = k;
        }
        fields::apply(&mut item, &f, &ctx.config, t)?;
        if let Some(pw) = typed.as_ref().or(stdin_pw.as_ref()) {
            item.set_password(pw.to_string(), t);
        }
        if args.clear_totp {
            item.totp = None;
        }
        for key in &args.remove_field {
            let before = item.fields.len();
            item.fields.retain(|fl| !fl.name.eq_ignore_ascii_case(key));
            anyhow::ensure!(item.fields.len() < before, "{} has no field {key:?}", item.name);
        }
        if args.dismiss_conflicts {
            item.conflicts.clear();
        }
        save_if_changed(vault, &id, &before, item, t)
    })?;
    report(&outcome);
    Ok(())
}

/// The key, and the item the query names: chosen in the picker when several match on a terminal,
/// before the writers' lock is taken (nobody waits for a person to choose).
fn resolve(ctx: &Ctx, query: &str) -> Result<(hush_crypto::KeyRing, ItemId)> {
    let key = ctx.key_ring(&ctx.header()?)?;
    let view = ctx.view_with_key(key.clone())?;
    let id = choose_one(&view, query, Scope::Live)?;
    Ok((key, id))
}

/// The item as it is under the lock (another writer may have deleted it since it was chosen).
fn current(vault: &hush_vault::Editor, id: &ItemId, query: &str) -> Result<Item> {
    match vault.get(id)? {
        Some(item) if item.is_live() => Ok(item),
        _ => Err(crate::exit::Exit::NotFound(query.to_owned()).into()),
    }
}

/// What an edit did.
enum Outcome {
    /// The item changed and was saved; its name.
    Saved(String),
    /// Nothing changed; its name.
    Unchanged(String),
}

/// Seals `item` if it says anything `before` did not; otherwise leaves the vault untouched, so
/// that nothing is written and nothing syncs.
fn save_if_changed(
    vault: &mut hush_vault::Editor,
    id: &ItemId,
    before: &Item,
    item: Item,
    t: i64,
) -> Result<Outcome> {
    let name = item.name.clone();
    if item == *before {
        return Ok(Outcome::Unchanged(name));
    }
    vault.update(id, t, |stored| *stored = item)?;
    Ok(Outcome::Saved(name))
}

fn report(outcome: &Outcome) {
    match outcome {
        Outcome::Saved(name) => eprintln!("Updated {name}"),
        Outcome::Unchanged(name) => eprintln!("Nothing changed in {name}; nothing was written."),
    }
}

/// `hush edit NAME --editor`: the item as text ([`ItemText`]) in the user's editor; a text that
/// does not parse is offered again on a terminal and abandoned in a script, writing nothing.
fn edit_as_text(ctx: &Ctx, args: &EditArgs) -> Result<()> {
    if has_field_options(args) {
        bail!("--editor edits the whole item; give no other field options with it");
    }
    let (key, id) = resolve(ctx, &args.query)?;
    let view = ctx.view_with_key(key.clone())?;
    let before = view.item(&id).map_err(|e| hush_vault::profile::in_vault_file(&ctx.profile, e))?;
    drop(view);
    let original = ItemText::of(&before);
    let written = original.render();
    let Some(edited) = text_editor::edit(&written, &before.name, ItemText::parse)? else {
        eprintln!("Nothing changed in {}; nothing was written.", before.name);
        return Ok(());
    };
    if edited == original {
        eprintln!("Nothing changed in {}; nothing was written.", before.name);
        return Ok(());
    }
    let t = now();
    let outcome = ctx.edit_with_key(key, |vault| {
        let stored = current(vault, &id, &args.query)?;
        // Another writer (a sync, another edit) changed the item while the editor was open: keep
        // both by refusing, rather than overwriting their change with text made from the old one.
        if stored != before {
            bail!(
                "{} changed while it was in the editor; nothing was written. Run the edit again",
                before.name
            );
        }
        let mut item = stored.clone();
        edited.apply(&mut item, t, fields::normalise_totp)?;
        save_if_changed(vault, &id, &stored, item, t)
    })?;
    report(&outcome);
    Ok(())
}

/// Whether any option other than the query and --editor was given.
fn has_field_options(args: &EditArgs) -> bool {
    let f = &args.fields;
    args.name.is_some()
        || args.kind.is_some()
        || args.prompt_password
        || args.clear_totp
        || args.dismiss_conflicts
        || !args.remove_field.is_empty()
        || f.username.is_some()
        || !f.urls.is_empty()
        || f.notes.is_some()
        || f.notes_file.is_some()
        || f.totp.is_some()
        || !f.fields.is_empty()
        || !f.hidden_fields.is_empty()
        || !f.tags.is_empty()
        || f.generate
        || f.password_stdin
}

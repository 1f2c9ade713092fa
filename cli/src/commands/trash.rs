//! `hush trash`: what is in the trash and for how long; `--empty` deletes it all for good.
//! `hush restore`: takes an item out of the trash (issue #10, "A trash").

use anyhow::{Result, bail};
use hush_vault::{Scope, TRASH_DAYS, now};
use serde::Serialize;

use crate::cli::{RestoreArgs, TrashArgs};
use crate::context::{Ctx, choose_one};
use crate::{output, prompt};

/// One item of `hush trash --json`.
#[derive(Serialize)]
struct TrashJson {
    id: String,
    name: String,
    kind: &'static str,
    /// When it was moved to the trash.
    trashed: String,
    /// When the next change after it deletes it for good.
    expires: String,
}

/// Runs `hush trash`.
pub(super) fn run(ctx: &Ctx, args: &TrashArgs) -> Result<()> {
    if args.empty {
        return empty(ctx, args.yes);
    }
    let view = ctx.view()?;
    let ids = view.search_in("", Scope::Trash);
    // The items in the trash are decrypted for their dates (the index holds no date of its own);
    // a trash is small.
    let mut items = Vec::new();
    for id in ids {
        let item = view.item(&id).map_err(|e| hush_vault::profile::in_vault_file(&ctx.profile, e))?;
        let at = item.trashed.unwrap_or(item.updated);
        items.push(TrashJson {
            id: id.to_string(),
            name: item.name.clone(),
            kind: item.kind.as_str(),
            trashed: output::time(at),
            expires: output::time(at.saturating_add(TRASH_DAYS * 86_400)),
        });
    }
    if args.json {
        return output::json(&items);
    }
    if items.is_empty() {
        eprintln!("The trash is empty.");
        return Ok(());
    }
    let width = items.iter().map(|i| i.name.chars().count()).max().unwrap_or(0).min(40);
    output::lines(items.iter().map(|i| {
        format!(
            "{}  {:<width$}  moved there {}  deleted after {}",
            &i.id[..8],
            i.name,
            &i.trashed[..10],
            &i.expires[..10]
        )
    }))?;
    eprintln!("`hush restore NAME` brings one back; `hush trash --empty` deletes them all for good.");
    Ok(())
}

/// `hush trash --empty`.
fn empty(ctx: &Ctx, yes: bool) -> Result<()> {
    let key = ctx.key_ring(&ctx.header()?)?;
    let count = ctx.view_with_key(key.clone())?.search_in("", Scope::Trash).len();
    if count == 0 {
        eprintln!("The trash is empty.");
        return Ok(());
    }
    let question =
        format!("Delete the {count} item{} in the trash for good?", if count == 1 { "" } else { "s" });
    if !yes && prompt::interactive() && !prompt::confirm(&question)? {
        bail!("nothing deleted");
    }
    let t = now();
    let (names, files) = ctx.edit_with_key(key, |vault| {
        let (mut names, mut files) = (Vec::new(), Vec::new());
        for id in vault.trashed_ids() {
            if let Some(item) = vault.get(&id)? {
                names.push(item.name.clone());
                files.extend(item.files.iter().map(|f| f.file_id));
                vault.delete(&id, t)?;
            }
        }
        Ok((names, files))
    })?;
    // Their attached files go with them: the chunks here at once, the server's once the deletion
    // is pushed (docs/attachments.md, "Deleting").
    let store = ctx.profile.files();
    for file in &files {
        store.remove(file)?;
    }
    for name in &names {
        eprintln!("Deleted {name} for good");
    }
    Ok(())
}

/// Runs `hush restore`.
pub(super) fn restore(ctx: &Ctx, args: &RestoreArgs) -> Result<()> {
    let key = ctx.key_ring(&ctx.header()?)?;
    let view = ctx.view_with_key(key.clone())?;
    let id = choose_one(&view, &args.query, Scope::Trash)?;
    drop(view);
    let t = now();
    let (name, clash) = ctx.edit_with_key(key, |vault| {
        let Some(item) = vault.get(&id)?.filter(|i| i.trashed.is_some()) else {
            bail!(crate::exit::Exit::NotInTrash(args.query.clone()));
        };
        let clash = vault.has_name(&item.name);
        vault.update(&id, t, |i| i.trashed = None)?;
        Ok((item.name.clone(), clash))
    })?;
    eprintln!("Restored {name}");
    if clash {
        eprintln!("note: another item is also named {name:?}; `hush ls {name:?}` shows both");
    }
    Ok(())
}

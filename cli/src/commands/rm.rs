//! `hush rm`: replaces an item by a tombstone, so the deletion syncs. The item's attached files
//! go with it: their chunks here at once, the server's once the deletion is pushed
//! (docs/attachments.md, "Deleting").

use anyhow::{Result, bail};
use hush_vault::ItemLookup;
use hush_vault::now;

use crate::cli::RmArgs;
use crate::context::{Ctx, find_one};
use crate::prompt;

/// Runs `hush rm`.
pub fn run(ctx: &Ctx, args: &RmArgs) -> Result<()> {
    // One key for the confirmation and the deletion: without the agent, the master
    // password is asked once, not twice.
    let key = ctx.key_ring(&ctx.header()?)?;
    if !args.yes && prompt::interactive() {
        let view = ctx.view_with_key(key.clone())?;
        let id = find_one(&view, &args.query)?;
        let name = &view.entry(&id).expect("found items exist").name;
        if !prompt::confirm(&format!("Delete {name}?"))? {
            bail!("nothing deleted");
        }
    }
    let (name, files) = ctx.edit_with_key(key, |vault| {
        let id = find_one(vault, &args.query)?;
        let name = vault.entry(&id).expect("found items exist").name.clone();
        let files: Vec<_> =
            vault.get(&id)?.map(|item| item.files.iter().map(|f| f.file_id).collect()).unwrap_or_default();
        vault.delete(&id, now())?;
        Ok((name, files))
    })?;
    let store = ctx.profile.files();
    for file in &files {
        store.remove(file)?;
    }
    match files.len() {
        0 => eprintln!("Deleted {name}"),
        n => eprintln!("Deleted {name} and its {n} file(s)"),
    }
    Ok(())
}

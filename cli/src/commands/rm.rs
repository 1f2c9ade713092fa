//! `hush rm`: moves an item to the trash (issue #10, "A trash"), an edit of the item that syncs
//! like any other, and which keeps its attached files; `--purge` replaces it by a tombstone, a
//! deletion for good that syncs too, and its files go with it: their chunks here at once, the
//! server's once the deletion is pushed (docs/attachments.md, "Deleting").

use anyhow::{Result, bail};
use hush_vault::{ItemLookup, Scope, now};

use crate::cli::RmArgs;
use crate::context::{Ctx, choose_one};
use crate::prompt;

/// Runs `hush rm`.
pub(super) fn run(ctx: &Ctx, args: &RmArgs) -> Result<()> {
    // One key for the choice, the confirmation and the deletion: without the agent, the master
    // password is asked once, not twice.
    let key = ctx.key_ring(&ctx.header()?)?;
    let view = ctx.view_with_key(key.clone())?;
    // --purge also reaches an item already in the trash.
    let scope = if args.purge && view.find_in(&args.query, Scope::Live) == hush_vault::Matches::None {
        Scope::Trash
    } else {
        Scope::Live
    };
    let id = choose_one(&view, &args.query, scope)?;
    let name = view.entry(&id).expect("found items exist").name.clone();
    drop(view);
    if args.purge
        && !args.yes
        && prompt::interactive()
        && !prompt::confirm(&format!("Delete {name} for good?"))?
    {
        bail!("nothing deleted");
    }
    let t = now();
    let files = ctx.edit_with_key(key, |vault| {
        let Some(item) = vault.get(&id)? else { bail!(crate::exit::Exit::NotFound(args.query.clone())) };
        let files: Vec<_> = item.files.iter().map(|f| f.file_id).collect();
        if args.purge {
            vault.delete(&id, t)?;
            Ok(files)
        } else {
            anyhow::ensure!(item.trashed.is_none(), "{} is already in the trash", item.name);
            vault.update(&id, t, |i| i.trashed = Some(t))?;
            Ok(Vec::new())
        }
    })?;
    let store = ctx.profile.files();
    for file in &files {
        store.remove(file)?;
    }
    if args.purge {
        match files.len() {
            0 => eprintln!("Deleted {name} for good"),
            n => eprintln!("Deleted {name} and its {n} file(s) for good"),
        }
    } else {
        eprintln!(
            "Moved {name} to the trash for {} days; `hush restore {name:?}` brings it back",
            hush_vault::TRASH_DAYS
        );
    }
    Ok(())
}

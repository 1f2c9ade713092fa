//! `hush rm`: replaces an item by a tombstone, so the deletion syncs.

use anyhow::{Result, bail};
use hush_vault::now;

use crate::cli::RmArgs;
use crate::context::{Ctx, find_one};
use crate::prompt;

/// Runs `hush rm`.
pub fn run(ctx: &Ctx, args: &RmArgs) -> Result<()> {
    if !args.yes && prompt::interactive() {
        let vault = ctx.open()?;
        let id = find_one(&vault, &args.query)?;
        let name = &vault.get(&id).expect("found items exist").name;
        if !prompt::confirm(&format!("Delete {name}?"))? {
            bail!("nothing deleted");
        }
    }
    let name = ctx.update(|vault| {
        let id = find_one(vault, &args.query)?;
        let name = vault.get(&id).expect("found items exist").name.clone();
        vault.delete(&id, now());
        Ok(name)
    })?;
    eprintln!("Deleted {name}");
    Ok(())
}

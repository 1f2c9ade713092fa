//! `hush passwd`: a new master password re-seals the keyset under a new salt; items
//! are not re-encrypted (spec: Keyset).

use anyhow::Result;

use crate::cli::PasswdArgs;
use crate::commands::init::kdf_params;
use crate::context::Ctx;

/// Runs `hush passwd`.
pub fn run(ctx: &Ctx, args: &PasswdArgs) -> Result<()> {
    let file = ctx.read_file()?;
    // Always prove the current password (the agent's key alone is not enough to
    // change it).
    let key = ctx.derive_vault_key(&file)?;
    let (_, account_key) = ctx.account_key()?;
    let (params, policy) = kdf_params(&args.kdf, file.header.params())?;
    let new_password = ctx.new_master_password(args.new_password_file.as_ref())?;
    let _lock = ctx.paths.lock_exclusive()?;
    let mut vault = hush_vault::Vault::open(&ctx.read_file()?, key)?;
    vault.change_password(&new_password, &account_key, params, policy)?;
    ctx.save(&vault)?;
    eprintln!("Master password changed. The old one no longer opens this vault.");
    Ok(())
}

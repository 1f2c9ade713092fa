//! `hush passwd`: a new master password re-seals the keyset under a new salt; items
//! are not re-encrypted (spec: Keyset).

use std::time::Duration;

use anyhow::{Context as _, Result};

use crate::cli::PasswdArgs;
use crate::commands::init::kdf_params;
use crate::context::{Ctx, Derived};
use crate::remote;

/// Runs `hush passwd`.
pub fn run(ctx: &Ctx, args: &PasswdArgs) -> Result<()> {
    let header = ctx.header()?;
    // Always prove the current password (the agent's key alone is not enough to
    // change it), and keep the old auth key: the server only accepts a new keyset
    // signed with it (sync-api-v1, PUT /v1/keyset).
    let Derived { account_key, keys: old, vault_key: key } = ctx.derive_keys(&header)?;
    let (params, policy) = kdf_params(&args.kdf, header.params())?;
    let new_password = ctx.new_master_password(args.new_password_file.as_ref())?;
    ctx.update_with_key(key, |vault| {
        let new = vault.change_password(&new_password, &account_key, params, policy)?;
        if vault.state().sync.is_some() {
            // The server must learn the new keyset before this device saves it, or the
            // two would disagree; if the server is unreachable, nothing changes.
            let transport = remote::connected_transport(ctx, vault.state(), Duration::from_secs(60))?;
            hush_sync::rekey(vault, &transport, &old.auth, new.auth.public_key(), hush_vault::now())
                .context("the server did not accept the new master password; nothing was changed")?;
            eprintln!("The server has the new keyset; your other devices must run `hush login` with the new password.");
        }
        Ok(((), true))
    })?;
    eprintln!("Master password changed. The old one no longer opens this vault.");
    Ok(())
}

//! `hush logout`: end this device's session; the local vault stays, and so does what this
//! device accepted of the account's history. `--delete-account` also deletes the account and
//! everything it stored from the server, which needs the master password.

use anyhow::Result;

use crate::cli::LogoutArgs;
use crate::context::{Ctx, Derived};
use crate::{prompt, remote};

/// Runs `hush logout`.
pub(super) fn run(ctx: &Ctx, args: &LogoutArgs) -> Result<()> {
    if args.delete_account {
        return delete_account(ctx, args);
    }
    let key = ctx.key_ring(&ctx.header()?)?;
    ctx.update_connected(key, |vault| {
        let transport = remote::connected_transport(ctx, vault.state())?;
        let refused = {
            let _progress = remote::Progress::start("Logging out".into());
            hush_sync::devices::logout(vault.state_mut(), &transport)
        };
        if let Some(e) = refused {
            // The session may already be revoked; forgetting it locally is what matters.
            eprintln!("note: the server did not confirm the logout ({e}); forgetting the session anyway");
        }
        Ok(((), true))
    })?;
    eprintln!("Logged out. The vault stays on this device; `hush login` connects it again.");
    Ok(())
}

fn delete_account(ctx: &Ctx, args: &LogoutArgs) -> Result<()> {
    eprintln!(
        "This deletes your account and every item it stored from the server. Every device keeps its own \
         vault, but none can sync until you `hush register` again."
    );
    if !args.yes && !prompt::confirm("Delete the account on the server?")? {
        anyhow::bail!("not deleted; pass --yes with --delete-account in a script");
    }
    let header = ctx.header()?;
    // The server wants the current auth key's signature, which only the master password yields.
    let Derived { keys, ring, .. } = ctx.derive_keys(&header)?;
    ctx.update_connected(ring, |vault| {
        let transport = remote::connected_transport(ctx, vault.state())?;
        let account = vault.account_id();
        hush_sync::devices::delete_account(vault.state_mut(), &account, &keys.auth, &transport)?;
        Ok(((), true))
    })?;
    eprintln!("The account is deleted from the server; this vault stays on this device.");
    Ok(())
}

//! `hush passwd`: a new master password, and with it a new vault key (docs/spec/crypto-v2.md,
//! "Password change and key rotation"): every item is sealed again under it, so an old copy of
//! the vault opened with the old password reads nothing written after the change.

use anyhow::Result;
use hush_crypto::KeyRing;
use hush_vault::Vault;

use crate::cli::PasswdArgs;
use crate::commands::init::kdf_params;
use crate::context::{Ctx, Derived};
use crate::{agent, remote};

/// Runs `hush passwd`.
pub(super) fn run(ctx: &Ctx, args: &PasswdArgs) -> Result<()> {
    let header = ctx.header()?;
    // Always prove the current password (the agent's key alone is not enough to change it),
    // and keep the old auth key: the server only accepts a new keyset signed with it
    // (sync-api-v2.md, `PUT /v2/keyset`).
    // Proven, not handed to the agent: the agent gets the new ring below.
    let Derived { account_key, keys: old, ring } = ctx.prove_password(&header)?;
    let (params, policy) = kdf_params(&args.kdf, header.params())?;
    let new_password = ctx.new_master_password(
        args.new_password_file.as_ref(),
        &params,
        args.new_password.insecure_weak_password,
    )?;
    let (ring, push) = ctx.update_connected(ring, |vault| {
        if vault.state().sync.is_none() {
            vault.change_password(&new_password, &account_key, params, policy)?;
            return Ok(((vault.ring().clone(), None), true));
        }
        // The server must accept the new keyset before this device adopts it, or the two
        // would disagree; if it refuses or cannot be reached, nothing changes anywhere.
        let transport = remote::connected_transport(ctx, vault.state())?;
        let new = hush_sync::NewPassword { password: &new_password, params, policy };
        let _progress = remote::Progress::start("Changing the master password on the server".into());
        let change = hush_sync::change_password(
            vault,
            &transport,
            &old.auth,
            &account_key,
            new,
            &mut ctx.profile.clone(),
            hush_vault::now(),
        )?;
        Ok(((vault.ring().clone(), Some(change.push)), true))
    })?;
    // The backup kept by the save above still opens with the old password: replace it, so that
    // nothing on disk does (the old password may be why it was changed).
    {
        let lock = ctx.profile.lock_exclusive()?;
        hush_vault::profile::refresh_backup(&ctx.profile, &lock)?;
    }
    refresh_agent(ctx, &ring, &account_key, &new_password);
    eprintln!(
        "Master password changed; the vault key was rotated. The old password opens nothing written from now on."
    );
    match push {
        None => Ok(()),
        Some(Ok(_)) => {
            eprintln!(
                "The server has the new keyset; your other devices must run `hush login` with the new password."
            );
            Ok(())
        }
        Some(Err(e)) => {
            eprintln!(
                "The server has the new keyset, but the re-sealed items were not pushed yet; they will be at the next `hush sync`."
            );
            Err(e.into())
        }
    }
}

/// An agent unlocked before the change holds the old ring and auth key, which no longer open
/// the vault or the account: hand it the new ones, with its timeout. Without a running agent,
/// the new keys are kept as any typed password's are ([`Ctx::keep_in_agent`]).
fn refresh_agent(ctx: &Ctx, ring: &KeyRing, account_key: &hush_crypto::AccountKey, password: &str) {
    let Ok(header) = ctx.header() else { return };
    let running = agent::socket_path(&ctx.profile, false)
        .ok()
        .flatten()
        .and_then(|socket| agent::client::status(&socket).ok().flatten().map(|status| (socket, status)));
    let unlocked = running.as_ref().is_some_and(|(_, status)| status.unlocked);
    if !unlocked && !ctx.autostarts_agent() {
        return;
    }
    // The new auth key comes from the new password: one more KDF run (about half a second),
    // after which `hush register` and the like need no password while unlocked.
    let auth = Vault::derive(&header, password, account_key).ok().map(|keys| keys.auth);
    match running {
        Some((socket, status)) if status.unlocked => {
            let timeout = status.timeout_secs.max(1);
            if agent::client::start_and_hand_over(&socket, &header.account_id(), ring, auth.as_ref(), timeout)
                .is_err()
            {
                let _ = agent::client::lock(&socket);
            }
        }
        _ => ctx.keep_in_agent(&header.account_id(), ring, auth.as_ref()),
    }
}

//! `hush login`: on a new device, fetch and verify the vault with the setup code and master
//! password; on a device that has it, start a new session (after a logout, a revocation, a
//! password change on another device, or to move to another server). What this device accepted
//! of the account's history is kept either way (docs/spec/sync-api-v2.md, "Verifying a pull").
//!
//! A device that has the vault logs in again to the server and under the name it last used,
//! unless told otherwise (issue #10, point 15), and with the keys it holds when it can: an
//! unlocked agent's, or those the typed password opens on the local vault. Only after a
//! password change on another device does it need the new password (docs/sync.md, "Logging
//! in").

use anyhow::{Result, bail};
use hush_crypto::{AuthKey, FloorPolicy, KeyRing};
use hush_sync::{Proof, SyncError, SyncReport};
use hush_vault::local_state::LastServer;
use hush_vault::{Vault, VaultError};

use crate::cli::LoginArgs;
use crate::context::Ctx;
use crate::{remote, setup_code};

/// Runs `hush login`.
pub(super) fn run(ctx: &Ctx, args: &LoginArgs) -> Result<()> {
    if ctx.profile.vault().exists() {
        return again(ctx, args);
    }
    new_device(ctx, args)
}

/// Where to log in, and under which name.
struct Target {
    url: String,
    insecure_http: bool,
    device: String,
}

impl Target {
    /// `--server` and `--device-name`, else what this device last used, else the defaults.
    fn resolve(args: &LoginArgs, last: Option<&LastServer>) -> Result<Target> {
        let (server, insecure_http) = match (&args.server, last) {
            (Some(server), _) => (server.clone(), args.insecure_http),
            (None, Some(last)) => (last.server_url.clone(), last.insecure_http || args.insecure_http),
            (None, None) => bail!("this device has never been connected to a server: pass --server URL"),
        };
        let url = remote::server_url(&server, insecure_http)?;
        let device = args
            .device_name
            .clone()
            .or_else(|| last.and_then(|l| l.device_name.clone()))
            .unwrap_or_else(remote::default_device_name);
        hush_crypto::check_device_name(&device)?;
        Ok(Target { url, insecure_http, device })
    }

    fn options(&self, args: &LoginArgs) -> hush_sync::LoginOptions<'_> {
        hush_sync::LoginOptions {
            server_url: &self.url,
            device_name: &self.device,
            policy: if args.insecure_kdf { FloorPolicy::AllowInsecure } else { FloorPolicy::Enforce },
            insecure_http: self.insecure_http,
            now: hush_vault::now(),
        }
    }
}

/// A device that has the vault: a new session.
fn again(ctx: &Ctx, args: &LoginArgs) -> Result<()> {
    let header = ctx.header()?;
    let account_key = ctx.profile.account_key_for(&header)?;
    // The keys this device holds: an unlocked agent's first.
    if let Some(held) = ctx.agent_keys(&header)
        && let Some(auth) = held.auth.as_ref()
    {
        let ring = held.ring.clone();
        let last = last_server(ctx, &ring)?;
        let target = Target::resolve(args, last.as_ref())?;
        return match session(ctx, args, &target, &account_key, Proof::Keys { ring: &ring, auth }) {
            Err(e) if changed_elsewhere(&e) => with_new_password(ctx, args, &target, &account_key),
            other => other.map(|_| ()),
        };
    }
    // Else the master password, tried on the local vault first: a typo is caught here, without
    // spending the server's failed-login budget, and it opens the name and server to use.
    let local = ctx.with_master_password(|pw| match Vault::unlock(&header, pw, &account_key) {
        Ok((keys, ring)) => Ok(Local::Keys(ring, keys.auth)),
        // Not this vault's password; with --server it may be the new one after a password
        // change on another device, which only the server can tell.
        Err(VaultError::WrongPassword) if args.server.is_some() => {
            let target = Target::resolve(args, None)?;
            session(ctx, args, &target, &account_key, Proof::Password(pw)).map(Local::LoggedIn)
        }
        Err(e) => Err(e.into()),
    })?;
    let (ring, auth) = match local {
        Local::Keys(ring, auth) => (ring, auth),
        Local::LoggedIn(vault) => {
            ctx.keep_in_agent(&vault.account_id(), vault.ring(), None);
            return Ok(());
        }
    };
    let last = last_server(ctx, &ring)?;
    let target = Target::resolve(args, last.as_ref())?;
    match session(ctx, args, &target, &account_key, Proof::Keys { ring: &ring, auth: &auth }) {
        Err(e) if changed_elsewhere(&e) => with_new_password(ctx, args, &target, &account_key),
        // The password was typed: the agent keeps the keys, as after any prompt.
        Ok(vault) => {
            ctx.keep_in_agent(&vault.account_id(), vault.ring(), Some(&auth));
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// What the typed password led to on a device that has the vault.
enum Local {
    /// It opens the local vault: these are its keys.
    Keys(KeyRing, AuthKey),
    /// It did not, but the server took it (the new password after a change elsewhere).
    LoggedIn(Vault),
}

/// Whether a login with the keys this device holds failed because the master password was
/// changed on another device (the server holds another keyset and auth key).
fn changed_elsewhere(err: &anyhow::Error) -> bool {
    err.chain().any(|c| matches!(c.downcast_ref::<SyncError>(), Some(SyncError::PasswordChanged)))
}

/// After a password change on another device: the new password, asked again when mistyped.
fn with_new_password(
    ctx: &Ctx,
    args: &LoginArgs,
    target: &Target,
    account_key: &hush_crypto::AccountKey,
) -> Result<()> {
    eprintln!("The master password was changed on another device; log in with the new one.");
    let vault =
        ctx.with_master_password(|pw| session(ctx, args, target, account_key, Proof::Password(pw)))?;
    ctx.keep_in_agent(&vault.account_id(), vault.ring(), None);
    Ok(())
}

/// The server and name this device last used, from its sealed state.
fn last_server(ctx: &Ctx, ring: &KeyRing) -> Result<Option<LastServer>> {
    Ok(ctx.view_with_key(ring.clone())?.state()?.last_server)
}

/// One login of a device that has the vault: verified, saved, reported. Returns the vault as
/// saved.
fn session(
    ctx: &Ctx,
    args: &LoginArgs,
    target: &Target,
    account_key: &hush_crypto::AccountKey,
    proof: Proof<'_>,
) -> Result<Vault> {
    let transport = remote::transport(ctx, &target.url, target.insecure_http)?;
    let lock = ctx.profile.lock_exclusive()?;
    let (file, _) = ctx.profile.read_file()?;
    let (vault, report) = {
        let _progress = remote::Progress::start(format!("Logging in to {}", target.url));
        hush_sync::login_existing_with(
            &file,
            &transport,
            account_key,
            proof,
            &mut ctx.profile.clone(),
            target.options(args),
        )?
    };
    ctx.profile.save(&lock, &vault)?;
    // After a password change on another device this vault now holds the new keyset; the
    // backup the save just kept still opens with the old password. Replace it, as `hush
    // passwd` does, so that nothing on disk opens with the old password (issue #9, item 5).
    if vault.header().keyset != file.header.keyset {
        hush_vault::profile::refresh_backup(&ctx.profile, &lock)?;
    }
    say_logged_in_again(target, &report);
    Ok(vault)
}

fn say_logged_in_again(target: &Target, report: &SyncReport) {
    eprintln!(
        "Logged in again to {} as \"{}\"; {} change(s) received, {} pushed.",
        target.url,
        target.device,
        report.received.len() + report.merged.len(),
        report.pushed.len()
    );
}

/// A new device: the setup code, then the master password.
fn new_device(ctx: &Ctx, args: &LoginArgs) -> Result<()> {
    let target = Target::resolve(args, None)?;
    let transport = remote::transport(ctx, &target.url, target.insecure_http)?;
    let (account_id, account_key) = match &args.setup_code_file {
        Some(path) => setup_code::from_file(path)?,
        None => setup_code::ask("Setup code (HUSH1-..., from `hush kit` on your first device)")?,
    };
    let (vault, report) = ctx.with_master_password(|pw| {
        let _progress = remote::Progress::start(format!("Logging in to {}", target.url));
        Ok(hush_sync::login_new_device(&transport, &account_id, &account_key, pw, target.options(args))?)
    })?;
    ctx.profile.create(&vault, &account_key)?;
    ctx.keep_in_agent(&account_id, vault.ring(), None::<&AuthKey>);
    eprintln!(
        "Logged in as \"{}\": {} item(s) fetched and verified into {}.",
        target.device,
        report.received.len(),
        ctx.profile.dir().display()
    );
    Ok(())
}

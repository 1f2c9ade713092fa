//! `hush login`: on a new device, fetch and verify the vault with the setup code and master
//! password; on a device that has it, start a new session (after a logout, a revocation, a
//! password change on another device, or to move to another server). What this device accepted
//! of the account's history is kept either way (docs/spec/sync-api-v2.md, "Verifying a pull").

use std::time::Duration;

use anyhow::{Result, anyhow};
use hush_crypto::{FloorPolicy, SetupCode};
use zeroize::Zeroizing;

use crate::cli::LoginArgs;
use crate::context::Ctx;
use crate::{prompt, remote};

/// Runs `hush login`.
pub fn run(ctx: &Ctx, args: &LoginArgs) -> Result<()> {
    let url = remote::server_url(&args.server, args.insecure_http)?;
    let transport = remote::transport(ctx, &url, args.insecure_http, Duration::from_secs(120))?;
    let policy = if args.insecure_kdf { FloorPolicy::AllowInsecure } else { FloorPolicy::Enforce };
    let device = args.device_name.clone().unwrap_or_else(remote::default_device_name);
    hush_crypto::check_device_name(&device)?;
    let opts = hush_sync::LoginOptions {
        server_url: &url,
        device_name: &device,
        policy,
        insecure_http: args.insecure_http,
        now: hush_vault::now(),
    };
    if ctx.profile.vault().exists() {
        let (_, account_key) = ctx.account_key()?;
        // The current master password: after a change on another device, the new one.
        let password = ctx.master_password()?;
        let lock = ctx.profile.lock_exclusive()?;
        let (file, _) = ctx.profile.read_file()?;
        let (vault, report) = hush_sync::login_existing(
            &file,
            &transport,
            &account_key,
            &password,
            &mut ctx.profile.clone(),
            opts,
        )?;
        ctx.profile.save(&lock, &vault)?;
        // After a password change on another device this vault now holds the new keyset; the
        // backup the save just kept still opens with the old password. Replace it, as `hush
        // passwd` does, so that nothing on disk opens with the old password (issue #9, item 5).
        if vault.header().keyset != file.header.keyset {
            hush_vault::profile::refresh_backup(&ctx.profile, &lock)?;
        }
        eprintln!(
            "Logged in again; {} change(s) received, {} pushed.",
            report.received.len() + report.merged.len(),
            report.pushed.len()
        );
        return Ok(());
    }
    let code: Zeroizing<String> = match &args.setup_code_file {
        Some(path) => prompt::first_line_of(path)?,
        None => prompt::secret("Setup code (HUSH1-...): ")?,
    };
    let (account_id, account_key) = SetupCode::parse(&code).map_err(|e| anyhow!("{e}"))?;
    let password = ctx.master_password()?;
    let (vault, report) =
        hush_sync::login_new_device(&transport, &account_id, &account_key, &password, opts)?;
    ctx.profile.create(&vault, &account_key)?;
    eprintln!(
        "Logged in: {} item(s) fetched and verified into {}.",
        report.received.len(),
        ctx.profile.dir().display()
    );
    Ok(())
}

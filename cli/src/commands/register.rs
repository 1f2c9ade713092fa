//! `hush register`: create the account on a server from this vault and push it.

use std::time::Duration;

use anyhow::{Result, bail};

use zeroize::Zeroizing;

use crate::cli::RegisterArgs;
use crate::context::{Ctx, Derived};
use crate::{prompt, remote};

/// Runs `hush register`.
pub fn run(ctx: &Ctx, args: &RegisterArgs) -> Result<()> {
    let header = ctx.header()?;
    let transport = remote::transport(ctx, &args.server, args.insecure_http, Duration::from_secs(60))?;
    // A code on the command line can be read by other local users (`ps`), who could
    // race to spend it; a file cannot.
    let invite = match (&args.invite, &args.invite_file) {
        (Some(code), _) => Some(Zeroizing::new(code.clone())),
        (None, Some(path)) => Some(prompt::first_line_of(path)?),
        (None, None) => None,
    };
    // Registration needs the auth key, which only the master password yields.
    let Derived { keys, vault_key: vk, .. } = ctx.derive_keys(&header)?;
    let device = args.device_name.clone().unwrap_or_else(remote::device_name);
    let report = ctx.update_with_key(vk, |vault| {
        if vault.state().sync.is_some() {
            bail!("this vault is already connected to a server; use `hush sync`, or `hush logout` first");
        }
        let report = hush_sync::register(
            vault,
            &transport,
            &keys,
            invite.as_deref().map(String::as_str),
            &args.server,
            &device,
            hush_vault::now(),
        )?;
        if let Some(s) = vault.state_mut().sync.as_mut() {
            s.insecure_http = args.insecure_http;
        }
        Ok((report, true))
    })?;
    eprintln!(
        "Registered with {} and pushed {} item(s). On another device: `hush login --server {}` with your setup code.",
        args.server,
        report.pushed.len(),
        args.server
    );
    Ok(())
}

//! `hush register`: create the account on a server from this vault and push it.

use anyhow::{Result, bail};
use zeroize::Zeroizing;

use crate::cli::RegisterArgs;
use crate::context::Ctx;
use crate::{prompt, remote};

/// Runs `hush register`.
pub(super) fn run(ctx: &Ctx, args: &RegisterArgs) -> Result<()> {
    let header = ctx.header()?;
    let url = remote::server_url(&args.server, args.insecure_http)?;
    let transport = remote::transport(ctx, &url, args.insecure_http)?;
    let device = args.device_name.clone().unwrap_or_else(remote::default_device_name);
    hush_crypto::check_device_name(&device)?;
    // A code on the command line can be read by other local users (`ps`), who could
    // race to spend it; a file cannot.
    if args.invite.is_some() {
        eprintln!("{}", crate::prompt::on_command_line("--invite", "--invite-file PATH"));
    }
    let invite = match (&args.invite, &args.invite_file) {
        (Some(code), _) => Some(Zeroizing::new(code.clone())),
        (None, Some(path)) => Some(prompt::first_line_of(path)?),
        (None, None) => None,
    };
    // Registration needs the auth key, which the master password yields, or the agent that a
    // command which asked for it was left with (issue #10, point 3).
    let (ring, auth, account_key) = ctx.server_keys(&header)?;
    let report = ctx.update_connected(ring, |vault| {
        if vault.state().sync.is_some() {
            bail!("this vault is already connected to a server; use `hush sync`, or `hush logout` first");
        }
        let opts = hush_sync::LoginOptions {
            server_url: &url,
            device_name: &device,
            policy: hush_crypto::FloorPolicy::Enforce,
            insecure_http: args.insecure_http,
            now: hush_vault::now(),
        };
        let _progress = remote::Progress::start(format!("Registering with {url}"));
        let report = hush_sync::register(
            vault,
            &transport,
            &auth,
            &account_key,
            invite.as_deref().map(String::as_str),
            &mut ctx.profile.clone(),
            &opts,
        )?;
        Ok((report, true))
    })?;
    eprintln!(
        "Registered with {url} and pushed {} item(s). On another device: `hush login --server {url}` with your setup code.",
        report.pushed.len(),
    );
    Ok(())
}

//! `hush init`: create a vault and show its setup code once.

use anyhow::{Result, bail};
use hush_crypto::{FloorPolicy, KdfParams, SetupCode};
use hush_vault::{Vault, VaultError};

use crate::cli::{InitArgs, KdfArgs};
use crate::context::Ctx;
use crate::output;

/// Chooses KDF parameters from the flags, refusing weak ones without `--insecure-kdf`.
pub(super) fn kdf_params(args: &KdfArgs, base: KdfParams) -> Result<(KdfParams, FloorPolicy)> {
    let params = KdfParams {
        m_kib: args.kdf_memory_mib.map_or(Ok(base.m_kib), |m| {
            m.checked_mul(1024).ok_or_else(|| anyhow::anyhow!("--kdf-memory-mib {m} is too large"))
        })?,
        t: args.kdf_iterations.unwrap_or(base.t),
        p: args.kdf_parallelism.unwrap_or(base.p),
    };
    let policy = if args.insecure_kdf { FloorPolicy::AllowInsecure } else { FloorPolicy::Enforce };
    if let Err(e) = params.check(policy) {
        bail!("{e}. Use at least --kdf-memory-mib 64 --kdf-iterations 3 (or --insecure-kdf for tests only)");
    }
    if !params.meets_floor() {
        eprintln!(
            "warning: --insecure-kdf: these KDF parameters are below the safe minimum; \
             anyone who steals this vault and its account key can guess passwords quickly"
        );
    }
    Ok((params, policy))
}

/// Runs `hush init`.
pub(super) fn run(ctx: &Ctx, args: &InitArgs) -> Result<()> {
    let profile = &ctx.profile;
    if profile.vault().exists() {
        return Err(VaultError::AlreadyExists(profile.vault()).into());
    }
    let (params, policy) = kdf_params(&args.kdf, KdfParams::DEFAULT)?;
    // For init, --password-file names the new password (asked twice on a terminal).
    let password = ctx.new_master_password(
        ctx.password_file.as_ref(),
        &params,
        args.new_password.insecure_weak_password,
    )?;
    let (vault, account_key, keys) = Vault::create_keyed(&password, params, policy)?;
    let code = SetupCode::encode(&vault.account_id(), &account_key);
    profile.create(&vault, &account_key)?;
    // The password was just typed twice: the next command (`hush add`, `hush register`) should
    // not ask for it again (issue #10, point 3).
    ctx.keep_in_agent(&vault.account_id(), vault.ring(), Some(&keys.auth));
    eprintln!(
        "Created a vault in {}.\n\n\
         Your setup code is below. With it and your master password you can add a device\n\
         or recover everything if you lose this one. Without it, nobody (not even you) can\n\
         decrypt your vault. Write it down or print it, and keep it somewhere safe and\n\
         offline. `hush kit` shows it again.\n",
        profile.dir().display()
    );
    output::line(&*code)
}

//! `hush kit`: the setup code again, after the master password is proven.

use anyhow::Result;
use hush_crypto::SetupCode;

use crate::context::Ctx;
use crate::output;

/// Runs `hush kit`.
pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let header = ctx.header()?;
    let proven = ctx.derive_keys(&header)?;
    eprintln!("Your setup code (keep it offline; with your master password it opens your vault):");
    output::line(&*SetupCode::encode(&header.account_id(), &proven.account_key))
}

//! `hush totp`: the current code, and on a terminal the seconds it stays valid.

use std::io::IsTerminal;

use anyhow::{Result, anyhow};

use crate::cli::TotpArgs;
use crate::commands::get::unix_now;
use crate::context::Ctx;
use crate::output;

/// Runs `hush totp`.
pub fn run(ctx: &Ctx, args: &TotpArgs) -> Result<()> {
    let (_, item) = ctx.view_one(&args.query)?;
    let item = &item;
    let uri = item.totp.as_deref().ok_or_else(|| {
        anyhow!("{} has no TOTP secret; add one with `hush edit {:?} --totp SECRET`", item.name, item.name)
    })?;
    let totp =
        hush_vault::totp::Totp::parse(uri).map_err(|e| anyhow!("the stored TOTP secret is invalid: {e}"))?;
    let code = totp.at(unix_now());
    if args.json {
        return output::json(&serde_json::json!({ "code": code.code, "remaining": code.remaining_secs }));
    }
    output::line(&code.code)?;
    if std::io::stderr().is_terminal() {
        let left = code.remaining_secs;
        eprintln!("valid for {left} more second{}", if left == 1 { "" } else { "s" });
    }
    Ok(())
}

//! `hush totp`: the current code, and on a terminal the seconds it stays valid.

use std::io::IsTerminal;

use anyhow::Result;

use crate::cli::TotpArgs;
use crate::commands::get::{item_totp, unix_now};
use crate::context::Ctx;
use crate::output;

/// Runs `hush totp`.
pub(super) fn run(ctx: &Ctx, args: &TotpArgs) -> Result<()> {
    let (_, item) = ctx.view_one(&args.query)?;
    let item = &item;
    let code = item_totp(item)?.at(unix_now());
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

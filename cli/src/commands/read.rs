//! `hush read REFERENCE`: the value a secret reference names, on stdout
//! (docs/secret-references.md).

use std::io::Write;

use anyhow::Result;

use crate::cli::ReadArgs;
use crate::commands::resolve::Resolver;
use crate::context::Ctx;
use crate::secret_ref::SecretRef;

/// Runs `hush read`.
pub(super) fn run(ctx: &Ctx, args: &ReadArgs) -> Result<()> {
    let reference: SecretRef = args.reference.parse()?;
    let value = Resolver::new(ctx).value(&reference)?;
    let mut out = std::io::stdout().lock();
    out.write_all(value.as_bytes())?;
    if !args.no_newline {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

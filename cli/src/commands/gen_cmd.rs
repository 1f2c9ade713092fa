//! `hush gen`: a random password or passphrase, with its entropy on stderr.

use anyhow::Result;
use hush_generate::{PassphrasePolicy, entropy_bits, passphrase_entropy_bits};

use crate::cli::GenArgs;
use crate::commands::fields;
use crate::context::Ctx;
use crate::output;

/// Runs `hush gen`.
pub fn run(ctx: &Ctx, args: &GenArgs) -> Result<()> {
    let opts = &args.options;
    let secret = fields::generate(opts, None, &ctx.config)?;
    let bits = match opts.words {
        Some(words) => passphrase_entropy_bits(&PassphrasePolicy { words, ..PassphrasePolicy::default() }),
        None => entropy_bits(&fields::password_policy(opts, None, &ctx.config)),
    };
    output::line(&*secret)?;
    eprintln!("about {bits:.0} bits of entropy");
    Ok(())
}

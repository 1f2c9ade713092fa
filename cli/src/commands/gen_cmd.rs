//! `hush gen`: a random password or passphrase, with its entropy on stderr (or all of it as
//! JSON). `hush gen 20` is `hush gen --length 20`.

use anyhow::Result;
use hush_generate::{PassphrasePolicy, entropy_bits, passphrase_entropy_bits};

use crate::cli::GenArgs;
use crate::commands::fields;
use crate::context::Ctx;
use crate::output;

/// Runs `hush gen`.
pub(super) fn run(ctx: &Ctx, args: &GenArgs) -> Result<()> {
    let mut opts = args.options.clone();
    if args.len.is_some() {
        opts.length = args.len;
    }
    let secret = fields::generate(&opts, None, &ctx.config)?;
    let (bits, kind) = match opts.words {
        Some(words) => (
            passphrase_entropy_bits(&PassphrasePolicy { words, ..PassphrasePolicy::default() }),
            "passphrase",
        ),
        None => (entropy_bits(&fields::password_policy(&opts, None, &ctx.config)), "password"),
    };
    if args.json {
        // Borrowed, not copied into a JSON value: the only copy stays the wiped one.
        #[derive(serde::Serialize)]
        struct GenJson<'a> {
            password: &'a str,
            entropy_bits: f64,
            kind: &'static str,
        }
        return output::json(&GenJson {
            password: &secret,
            entropy_bits: (bits * 10.0).round() / 10.0,
            kind,
        });
    }
    output::line(&*secret)?;
    eprintln!("about {bits:.0} bits of entropy");
    Ok(())
}

//! Applying the field options of `add` and `edit` to an item.

use anyhow::{Result, anyhow, bail};
use hush_vault::Item;
use hush_vault::generator::{PassphrasePolicy, PasswordPolicy, generate_passphrase, generate_password};
use hush_vault::totp::Totp;
use zeroize::Zeroizing;

use crate::cli::{GenOptions, ItemFields};
use crate::config::Config;
use crate::prompt;

/// Splits `KEY=VALUE`.
fn key_value(s: &str) -> Result<(&str, &str)> {
    let (k, v) = s.split_once('=').ok_or_else(|| anyhow!("{s:?} is not KEY=VALUE"))?;
    if k.trim().is_empty() {
        bail!("{s:?} has an empty field name");
    }
    Ok((k.trim(), v))
}

/// Normalises a TOTP secret or URI to the stored `otpauth://` form.
pub fn normalise_totp(input: &str, name: &str) -> Result<String> {
    let mut totp = Totp::parse(input).map_err(|e| anyhow!("invalid TOTP secret: {e}"))?;
    if totp.issuer().is_none() && totp.account().is_none() {
        totp.set_issuer(Some(name)).map_err(|e| anyhow!("invalid TOTP issuer: {e}"))?;
    }
    Ok(totp.to_uri())
}

/// The generator policy for the options, starting from an item's own policy (a site
/// that forbids symbols keeps forbidding them) or the configured defaults.
pub fn password_policy(opts: &GenOptions, base: Option<&PasswordPolicy>, config: &Config) -> PasswordPolicy {
    let mut p = base.cloned().unwrap_or_else(|| PasswordPolicy {
        length: config.generator_length,
        symbols: config.generator_symbols,
        ..PasswordPolicy::default()
    });
    if let Some(len) = opts.length {
        p.length = len;
    }
    p.symbols &= !opts.no_symbols;
    p.digits &= !opts.no_digits;
    p.uppercase &= !opts.no_uppercase;
    p.lowercase &= !opts.no_lowercase;
    p.exclude_ambiguous |= opts.no_ambiguous;
    if let Some(set) = &opts.symbols {
        p.symbol_set = Some(set.clone());
        p.symbols = true;
    }
    p
}

/// Whether any generator option deviates from the defaults (then it becomes the
/// item's own policy).
pub fn has_policy_options(opts: &GenOptions) -> bool {
    opts.length.is_some()
        || opts.no_symbols
        || opts.no_digits
        || opts.no_uppercase
        || opts.no_lowercase
        || opts.no_ambiguous
        || opts.symbols.is_some()
}

/// Generates a password or, with `--words`, a passphrase.
pub fn generate(
    opts: &GenOptions,
    base: Option<&PasswordPolicy>,
    config: &Config,
) -> Result<Zeroizing<String>> {
    if let Some(words) = opts.words {
        let mut pp = PassphrasePolicy { words, capitalize: opts.capitalize, ..PassphrasePolicy::default() };
        if let Some(sep) = &opts.separator {
            pp.separator = sep.clone();
        }
        return Ok(generate_passphrase(&pp)?);
    }
    Ok(generate_password(&password_policy(opts, base, config))?)
}

/// Applies every given option to `item`. `replace_lists` is true for `edit`, where
/// `--url` and `--tag` replace the lists; `add` starts from empty lists anyway.
pub fn apply(item: &mut Item, f: &ItemFields, config: &Config, now: i64) -> Result<()> {
    if let Some(u) = &f.username {
        item.username = u.clone();
    }
    if !f.urls.is_empty() {
        item.urls = f.urls.clone();
    }
    if let Some(n) = &f.notes {
        item.notes = n.clone();
    }
    if let Some(t) = &f.totp {
        item.totp = Some(normalise_totp(t, &item.name)?);
    }
    for kv in &f.fields {
        let (k, v) = key_value(kv)?;
        item.set_field(k, v.to_owned(), false);
    }
    for kv in &f.hidden_fields {
        let (k, v) = key_value(kv)?;
        item.set_field(k, v.to_owned(), true);
    }
    if !f.tags.is_empty() {
        item.tags = f.tags.clone();
    }
    if has_policy_options(&f.gen_options) {
        item.policy = Some(password_policy(&f.gen_options, item.policy.as_ref(), config));
    }
    if f.generate {
        let pw = generate(&f.gen_options, item.policy.as_ref(), config)?;
        item.set_password(pw.to_string(), now);
    } else if f.password_stdin {
        let pw = prompt::stdin_line()?;
        item.set_password(pw.to_string(), now);
    }
    Ok(())
}

//! Applying the field options of `add` and `edit` to an item.

use anyhow::{Result, anyhow, bail};
use hush_vault::Item;
use hush_vault::generator::{PassphrasePolicy, PasswordPolicy, generate_passphrase, generate_password};
use hush_vault::totp::Totp;
use zeroize::Zeroizing;

use crate::cli::{GenOptions, ItemFields};
use crate::config::Config;
use crate::prompt;

/// Splits `KEY=VALUE`. A hidden field's text is not repeated in the error: without
/// its `=` it may be the secret alone.
fn key_value(s: &str, hidden: bool) -> Result<(&str, &str)> {
    let shown = if hidden { "a --hidden-field value".to_owned() } else { format!("{s:?}") };
    let (k, v) = s.split_once('=').ok_or_else(|| anyhow!("{shown} is not KEY=VALUE"))?;
    if k.trim().is_empty() {
        bail!("{shown} has an empty field name");
    }
    Ok((k.trim(), v))
}

/// Replaces each secret given as `-` (`--totp -`, `--hidden-field KEY=-`) by its
/// value, asked for without echo on a terminal, else read from the next line of
/// standard input (in that order, after the password's line with --password-stdin).
/// A secret on the command line is visible to every local user in `ps`; this is how
/// to keep TOTP seeds and hidden fields off it. Call before taking the vault's lock.
pub fn read_dash_values(f: &mut ItemFields, item: &str) -> Result<()> {
    let read = |what: String| -> Result<String> {
        let value =
            if prompt::interactive() { prompt::secret(&format!("{what}: "))? } else { prompt::stdin_line()? };
        Ok(value.to_string())
    };
    if f.totp.as_deref() == Some("-") {
        f.totp = Some(read(format!("TOTP secret or otpauth:// URI for {item}"))?);
    }
    for kv in &mut f.hidden_fields {
        let (k, v) = key_value(kv, true)?;
        if v == "-" {
            *kv = format!("{k}={}", read(format!("{k} for {item}"))?);
        }
    }
    Ok(())
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
        let (k, v) = key_value(kv, false)?;
        item.set_field(k, v.to_owned(), false);
    }
    for kv in &f.hidden_fields {
        let (k, v) = key_value(kv, true)?;
        item.set_field(k, v.to_owned(), true);
    }
    if !f.tags.is_empty() {
        item.tags = f.tags.clone();
    }
    if has_policy_options(&f.gen_options) {
        item.policy = Some(password_policy(&f.gen_options, item.policy.as_ref(), config));
    }
    // --password-stdin is read by the command itself, first (see read_dash_values).
    if f.generate {
        let pw = generate(&f.gen_options, item.policy.as_ref(), config)?;
        item.set_password(pw.to_string(), now);
    }
    Ok(())
}

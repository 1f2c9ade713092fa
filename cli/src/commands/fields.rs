//! Applying the field options of `add` and `edit` to an item.

use std::io::Read;

use anyhow::{Context as _, Result, anyhow, bail};
use hush_generate::{PassphrasePolicy, PasswordPolicy, generate_passphrase, generate_password};
use hush_totp::Totp;
use hush_vault::Item;
use zeroize::Zeroizing;

use crate::cli::{GenOptions, ItemFields};
use crate::config::Config;
use crate::prompt;

/// Splits `KEY=VALUE`. A hidden field's text is not repeated in the error: without
/// its `=` it may be the secret alone.
fn hidden_key_value(s: &str) -> Result<(&str, &str)> {
    let (k, v) = s.split_once('=').ok_or_else(|| anyhow!("a --hidden-field value is not KEY=VALUE"))?;
    if k.trim().is_empty() {
        bail!("a --hidden-field value has an empty field name");
    }
    Ok((k.trim(), v))
}

/// Replaces each value given as `-` (`--totp -`, `--hidden-field KEY=-`, `--notes -`)
/// or in a file (`--notes-file`) by its value, after warning about each secret given
/// directly on the command line, where every local user can see it in `ps`.
///
/// Standard input is read in one order (`cli::stdin_order!`): the password's line
/// with --password-stdin, read by the command before this; then the TOTP secret's
/// line; then one line per hidden field given as `KEY=-`, in the order given; then the
/// notes, to the end of standard input. On a terminal the TOTP secret and hidden
/// fields are asked for without echo instead, and the notes are typed up to Ctrl-D.
/// Call before taking the vault's lock.
pub(super) fn read_dash_values(f: &mut ItemFields, item: &str) -> Result<()> {
    for warning in command_line_warnings(f) {
        eprintln!("{warning}");
    }
    let read = |what: String| -> Result<String> {
        let value =
            if prompt::interactive() { prompt::secret(&format!("{what}: "))? } else { prompt::stdin_line()? };
        Ok(value.to_string())
    };
    if f.totp.as_deref() == Some("-") {
        f.totp = Some(read(format!("TOTP secret or otpauth:// URI for {item}"))?);
    }
    for kv in &mut f.hidden_fields {
        let (k, v) = hidden_key_value(kv)?;
        if v == "-" {
            *kv = format!("{k}={}", read(format!("{k} for {item}"))?);
        }
    }
    if f.notes.as_deref() == Some("-") {
        if prompt::interactive() {
            eprintln!("Notes for {item} (end with Ctrl-D on a line of its own):");
        }
        f.notes = Some(read_notes(std::io::stdin().lock(), "standard input", item)?);
    } else if let Some(path) = &f.notes_file {
        let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        f.notes = Some(read_notes(file, &path.display().to_string(), item)?);
    }
    Ok(())
}

/// The largest notes read from standard input or a file: an item's blob is at most
/// `MAX_ITEM_BLOB` (256 KiB), whose check gives the precise answer; this bound only
/// keeps `hush add --notes - < /dev/zero` from filling the memory first.
const MAX_NOTES: usize = hush_vault::vault_file::MAX_BLOB;

/// Notes from `input` to its end: UTF-8 text of at most [`MAX_NOTES`] bytes, less one
/// final line ending (so that `hush get X --field notes | hush edit X --notes -` keeps
/// them as they were).
fn read_notes(input: impl Read, source: &str, item: &str) -> Result<String> {
    // Sized once, so that the buffer never moves and leaves no copy behind.
    let mut buf = Vec::with_capacity(MAX_NOTES + 1);
    input
        .take(MAX_NOTES as u64 + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read the notes from {source}"))?;
    if buf.len() > MAX_NOTES {
        bail!(
            "the notes for {item:?} from {source} are larger than {} MiB, and one item may take at most \
             {} KiB (the sync server's limit, docs/server.md \"Limits\"); nothing was written",
            MAX_NOTES >> 20,
            hush_vault::MAX_ITEM_BLOB >> 10
        );
    }
    let mut notes =
        String::from_utf8(buf).map_err(|_| anyhow!("the notes from {source} are not UTF-8 text"))?;
    if notes.ends_with('\n') {
        notes.pop();
        if notes.ends_with('\r') {
            notes.pop();
        }
    }
    Ok(notes)
}

/// One warning for each secret given directly on the command line (`--totp VALUE`,
/// `--hidden-field KEY=VALUE`, `--notes TEXT`), naming the way to keep it off. `-` and
/// empty values show nothing and need no warning. Hidden fields are named by key only.
pub(super) fn command_line_warnings(f: &ItemFields) -> Vec<String> {
    let given = |v: &str| !v.is_empty() && v != "-";
    let mut out = Vec::new();
    if f.totp.as_deref().is_some_and(given) {
        out.push(prompt::on_command_line("--totp", "--totp - (asked for, or read from standard input)"));
    }
    for kv in &f.hidden_fields {
        match kv.split_once('=') {
            Some((k, v)) if given(v) => out.push(prompt::on_command_line(
                &format!("--hidden-field {}", k.trim()),
                &format!("--hidden-field {}=- (asked for, or read from standard input)", k.trim()),
            )),
            Some(_) => {}
            // Malformed, and refused later; it may be the secret alone, so no part of it is shown.
            None => out.push(prompt::on_command_line("--hidden-field", "--hidden-field KEY=-")),
        }
    }
    if f.notes.as_deref().is_some_and(given) {
        out.push(prompt::on_command_line("--notes", "--notes - (standard input) or --notes-file PATH"));
    }
    out
}

/// Normalises a TOTP secret or URI to the stored `otpauth://` form.
pub(super) fn normalise_totp(input: &str, name: &str) -> Result<String> {
    let mut totp = Totp::parse(input).map_err(|e| anyhow!("invalid TOTP secret: {e}"))?;
    if totp.issuer().is_none() && totp.account().is_none() {
        totp.set_issuer(Some(name)).map_err(|e| anyhow!("invalid TOTP issuer: {e}"))?;
    }
    Ok(totp.to_uri())
}

/// The generator policy for the options, starting from an item's own policy (a site
/// that forbids symbols keeps forbidding them) or the configured defaults.
pub(super) fn password_policy(
    opts: &GenOptions,
    base: Option<&PasswordPolicy>,
    config: &Config,
) -> PasswordPolicy {
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
pub(super) fn has_policy_options(opts: &GenOptions) -> bool {
    opts.length.is_some()
        || opts.no_symbols
        || opts.no_digits
        || opts.no_uppercase
        || opts.no_lowercase
        || opts.no_ambiguous
        || opts.symbols.is_some()
}

/// Generates a password or, with `--words`, a passphrase.
pub(super) fn generate(
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
pub(super) fn apply(item: &mut Item, f: &ItemFields, config: &Config, now: i64) -> Result<()> {
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
        item.set_field(&kv.key, kv.value.clone(), false);
    }
    for kv in &f.hidden_fields {
        let (k, v) = hidden_key_value(kv)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_on_the_command_line_are_warned_about_once_each_and_dashes_are_not() {
        let f = ItemFields {
            totp: Some("JBSWY3DPEHPK3PXP".into()),
            hidden_fields: vec!["pin=1234".into(), "cvv=-".into(), "empty=".into(), "no-equals-sign".into()],
            notes: Some("some notes".into()),
            ..ItemFields::default()
        };
        let warnings = command_line_warnings(&f);
        assert_eq!(warnings.len(), 4, "{warnings:#?}");
        for (w, alternative) in warnings.iter().zip([
            "--totp -",
            "--hidden-field pin=-",
            "--hidden-field KEY=-",
            "--notes - (standard input) or --notes-file PATH",
        ]) {
            assert!(w.starts_with("warning: ") && w.contains("(ps)") && w.contains(alternative), "{w}");
            assert!(!w.contains('\n'), "one line: {w}");
            for secret in ["JBSWY3DPEHPK3PXP", "1234", "no-equals-sign", "some notes"] {
                assert!(!w.contains(secret), "{w}");
            }
        }
        let dashes = ItemFields {
            totp: Some("-".into()),
            hidden_fields: vec!["cvv=-".into()],
            notes: Some("-".into()),
            ..ItemFields::default()
        };
        assert!(command_line_warnings(&dashes).is_empty());
        assert!(command_line_warnings(&ItemFields::default()).is_empty());
    }

    #[test]
    fn notes_are_read_whole_less_one_final_line_ending() {
        let read = |s: &str| read_notes(s.as_bytes(), "test", "x").unwrap();
        assert_eq!(read("one\ntwo\n\nthree\n"), "one\ntwo\n\nthree");
        assert_eq!(read("crlf\r\n"), "crlf");
        assert_eq!(read("two endings\n\n"), "two endings\n");
        assert_eq!(read("none"), "none");
        assert_eq!(read(""), "");
        let err = read_notes(&[0xff, 0xfe][..], "test", "x").unwrap_err().to_string();
        assert!(err.contains("not UTF-8"), "{err}");
        let huge = vec![b'a'; MAX_NOTES + 1];
        let err = read_notes(&huge[..], "test", "big").unwrap_err().to_string();
        assert!(
            err.contains("\"big\"") && err.contains("256 KiB") && err.contains("nothing was written"),
            "{err}"
        );
        assert_eq!(read_notes(&huge[..MAX_NOTES], "test", "x").unwrap().len(), MAX_NOTES);
    }
}

//! Secret references, `hush://ITEM/FIELD`, and the templates that hold them as
//! `{{ hush://ITEM/FIELD }}` (docs/secret-references.md). Used by `hush read`, `hush run` and
//! `hush inject`; everything here is parsing and substitution, with no I/O: the caller resolves
//! each reference.
//!
//! Grammar (one for every command, so that a reference copied from one place works in all):
//! ```text
//! reference = "hush://" segment "/" segment
//! segment   = 1*( char / "%" HEXDIG HEXDIG )     percent-decoded, then UTF-8
//! char      = any character but "/", "%", "{", "}", white space and control characters
//! ```
//! A name with `/`, `%`, a space or a brace is written with percent escapes (`%2F`, `%25`,
//! `%20`, `%7B`, `%7D`); any other character may be escaped too. References are not secret:
//! errors quote them.

use std::fmt;

use anyhow::{Result, bail};
use zeroize::Zeroizing;

/// The scheme every reference starts with.
pub(crate) const SCHEME: &str = "hush://";

/// One parsed reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SecretRef {
    /// The item: an exact name or a full id (resolved with `VaultView::find_exact`).
    pub item: String,
    /// The field, as `hush get --field` names it.
    pub field: String,
}

/// Why a text is not a reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a secret reference: {why}; write hush://ITEM/FIELD (see `hush read --help`)")]
pub(crate) struct RefError {
    text: String,
    why: &'static str,
}

impl std::str::FromStr for SecretRef {
    type Err = RefError;

    fn from_str(text: &str) -> Result<Self, RefError> {
        let err = |why| RefError { text: text.to_owned(), why };
        let rest = text.strip_prefix(SCHEME).ok_or_else(|| err("it does not start with hush://"))?;
        let mut parts = rest.split('/');
        let (Some(item), Some(field), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err("it needs exactly one / between ITEM and FIELD (write a / in a name as %2F)"));
        };
        Ok(SecretRef { item: decode_segment(item).map_err(err)?, field: decode_segment(field).map_err(err)? })
    }
}

impl fmt::Display for SecretRef {
    /// The canonical spelling: every character outside RFC 3986's unreserved set and a few safe
    /// marks percent-encoded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}/{}", encode_segment(&self.item), encode_segment(&self.field))
    }
}

/// `segment` percent-decoded as the grammar above says, or why it is not a segment. Crate-visible
/// for the `secret_ref` fuzz target, which includes this module by path and checks that
/// [`encode_segment`] round-trips through it.
pub(crate) fn decode_segment(segment: &str) -> Result<String, &'static str> {
    if segment.is_empty() {
        return Err("ITEM and FIELD cannot be empty");
    }
    let mut bytes = Vec::with_capacity(segment.len());
    let mut chars = segment.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '%' => {
                let hex = segment.get(at + 1..at + 3).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
                let Some(hex) = hex else {
                    return Err("a % must be followed by two hex digits (write % as %25)");
                };
                bytes.push(u8::from_str_radix(hex, 16).map_err(|_| "bad percent escape")?);
                chars.next();
                chars.next();
            }
            '{' | '}' => return Err("braces must be written %7B and %7D"),
            c if c.is_whitespace() || c.is_control() => {
                return Err("white space must be percent-encoded (a space is %20)");
            }
            c => {
                let mut buf = [0; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    String::from_utf8(bytes).map_err(|_| "its percent escapes are not UTF-8")
}

/// `segment` percent-encoded so that it reads back unchanged.
pub(crate) fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a placeholder is in a template, and what it names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Placeholder {
    /// The byte range of the whole `{{ … }}`.
    pub range: std::ops::Range<usize>,
    /// The reference inside it.
    pub reference: SecretRef,
}

/// Every `{{ hush://… }}` placeholder of `template`, in order. Braces around anything else are
/// left alone (the template may be for another tool too); a placeholder whose reference does
/// not parse is an error naming its line, rather than text silently left in a config file.
pub(crate) fn placeholders(template: &str) -> Result<Vec<Placeholder>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = template[from..].find("{{").map(|i| from + i) {
        let Some(close) = template[open + 2..].find("}}").map(|i| open + 2 + i) else { break };
        let inner = template[open + 2..close].trim();
        if inner.starts_with(SCHEME) {
            match inner.parse::<SecretRef>() {
                Ok(reference) => found.push(Placeholder { range: open..close + 2, reference }),
                Err(e) => {
                    let line = template[..open].matches('\n').count() + 1;
                    bail!("line {line}: {e}");
                }
            }
            from = close + 2;
        } else {
            // One brace on, not two: in `{{{ hush://… }}`, the `{{` that opens the placeholder
            // starts at the second brace (found by the `secret_ref` fuzz target).
            from = open + 1;
        }
    }
    Ok(found)
}

/// `template` with each placeholder replaced by its value (`values[i]` for `placeholders[i]`),
/// in one buffer sized first so that no copy of a value is left behind by a reallocation.
/// Values are not searched for placeholders again.
pub(crate) fn fill(
    template: &str,
    placeholders: &[Placeholder],
    values: &[Zeroizing<String>],
) -> Zeroizing<String> {
    let size = template.len() + values.iter().map(|v| v.len()).sum::<usize>();
    let mut out = Zeroizing::new(String::with_capacity(size));
    let mut at = 0;
    for (p, value) in placeholders.iter().zip(values) {
        out.push_str(&template[at..p.range.start]);
        out.push_str(value);
        at = p.range.end;
    }
    out.push_str(&template[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> SecretRef {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn references_parse_with_percent_escapes() {
        assert_eq!(
            parse("hush://github/password"),
            SecretRef { item: "github".into(), field: "password".into() }
        );
        let r = parse("hush://my%20bank%2Fjoint/PIN%20code");
        assert_eq!((r.item.as_str(), r.field.as_str()), ("my bank/joint", "PIN code"));
        assert_eq!(parse("hush://caf%C3%A9/x").item, "café");
        assert_eq!(parse("hush://café/x").item, "café", "non-ASCII may stand for itself");
        assert_eq!(parse("hush://100%25/x").item, "100%");
    }

    #[test]
    fn malformed_references_say_what_is_wrong() {
        for (text, why) in [
            ("github/password", "hush://"),
            ("hush://github", "exactly one /"),
            ("hush://a/b/c", "exactly one /"),
            ("hush:///password", "cannot be empty"),
            ("hush://github/", "cannot be empty"),
            ("hush://my bank/pin", "%20"),
            ("hush://50%/x", "two hex digits"),
            ("hush://a%2/x", "two hex digits"),
            ("hush://a%FF/x", "UTF-8"),
            ("hush://a{b/x", "%7B"),
        ] {
            let err = text.parse::<SecretRef>().unwrap_err().to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn display_round_trips_every_name() {
        for (item, field) in [("a/b", "c d"), ("100%", "{x}"), ("café", "pin"), ("~ok-._", "x")] {
            let r = SecretRef { item: item.into(), field: field.into() };
            assert_eq!(parse(&r.to_string()), r, "{r}");
        }
        assert_eq!(
            SecretRef { item: "my bank".into(), field: "a/b".into() }.to_string(),
            "hush://my%20bank/a%2Fb"
        );
    }

    #[test]
    fn templates_fill_only_hush_placeholders() {
        let t = "user: {{ hush://db/username }}\npass: {{hush://db/password}}\nother: {{ .Values.x }} {{\n";
        let found = placeholders(t).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].reference.field, "password");
        let values = [Zeroizing::new("u".to_owned()), Zeroizing::new("{{ hush://db/password }}".to_owned())];
        let out = fill(t, &found, &values);
        assert_eq!(&*out, "user: u\npass: {{ hush://db/password }}\nother: {{ .Values.x }} {{\n");
        // `String::with_capacity(n)` gives exactly n (Vec's documented guarantee): had the buffer
        // grown, its capacity would differ, and a copy of a value would be left unwiped.
        assert_eq!(out.capacity(), t.len() + 1 + 24, "sized once");
        let err = placeholders("a\nb {{ hush://db }}").unwrap_err().to_string();
        assert!(err.starts_with("line 2:"), "{err}");
    }

    /// Found by the `secret_ref` fuzz target: after a `{{` whose text was not a reference, the
    /// search went on two bytes later, so the placeholder of `{{{ hush://… }}`, which opens at
    /// the second brace, was skipped and its reference left in the output unfilled.
    #[test]
    fn a_placeholder_after_an_odd_brace_is_not_skipped() {
        for (template, filled) in [
            ("key: \"{{{hush://db/password}}\"\n", "key: \"{pw\"\n"),
            ("{{{ hush://db/password }}}", "{pw}"),
            ("{{{{{ hush://db/password }}", "{{{pw"),
            ("{{ x {{{ hush://db/password }}", "{{ x {pw"),
        ] {
            let found = placeholders(template).unwrap();
            assert_eq!(found.len(), 1, "{template}");
            assert_eq!(found[0].reference, parse("hush://db/password"));
            assert_eq!(&*fill(template, &found, &[Zeroizing::new("pw".to_owned())]), filled);
        }
    }
}

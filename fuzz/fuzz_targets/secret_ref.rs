//! Secret references and `hush inject`'s templates (cli/src/secret_ref.rs;
//! docs/secret-references.md): `hush://ITEM/FIELD` as `hush read` and `hush run` read it, and
//! `{{ hush://ITEM/FIELD }}` placeholders in a template or an environment variable, parsed with
//! the very module the CLI compiles (included by path, because the CLI is a binary crate).
//!
//! The input is read as UTF-8 (invalid sequences replaced), and used whole as a reference, as a
//! template and as a name; its part before the first NUL and the rest are also an item and a
//! field name.
//!
//! Properties:
//! - a reference that parses names a non-empty item and field, and its canonical spelling
//!   parses back to it, alone and as the only placeholder of a template;
//! - any name, encoded with `encode_segment`, uses only the characters a segment allows and
//!   decodes back to itself (an empty name is refused); a segment that decodes re-encodes to
//!   one that decodes to the same name;
//! - every placeholder found is a `{{ … }}` range inside the template, in order and without
//!   overlap, and holds the reference it reports; `fill` with each placeholder's own text gives
//!   the template back, with nothing gives it without them, and never grows its buffer (a
//!   reallocation would leave a copy of a value behind);
//! - no placeholder is silently skipped: every `{{` whose text up to the next `}}` is a
//!   reference (spaces around it allowed) lies inside a placeholder found, or the template is
//!   refused with an error naming a line it has.
#![no_main]

#[allow(dead_code, unreachable_pub)]
#[path = "../../cli/src/secret_ref.rs"]
mod secret_ref;

use libfuzzer_sys::fuzz_target;
use secret_ref::{SCHEME, SecretRef, decode_segment, encode_segment, fill, placeholders};
use zeroize::Zeroizing;

/// The characters `encode_segment` leaves as they are: RFC 3986's unreserved set and the
/// sub-delimiters, `:` and `@` (none of which the grammar forbids in a segment).
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b)
}

fn check_reference(text: &str) {
    let Ok(reference) = text.parse::<SecretRef>() else { return };
    assert!(!reference.item.is_empty() && !reference.field.is_empty(), "a reference names nothing: {text:?}");
    assert!(text.starts_with(SCHEME));
    let canonical = reference.to_string();
    assert_eq!(
        canonical.parse::<SecretRef>().as_ref(),
        Ok(&reference),
        "the canonical spelling {canonical:?}"
    );
    let template = format!("{{{{ {canonical} }}}}");
    let found = placeholders(&template).expect("a canonical reference is a placeholder");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].range, 0..template.len());
    assert_eq!(found[0].reference, reference);
}

fn check_name(name: &str) {
    let encoded = encode_segment(name);
    assert!(
        encoded.bytes().all(|b| b == b'%' || is_plain(b)),
        "{name:?} encodes to {encoded:?}, which has a character a segment forbids"
    );
    match decode_segment(&encoded) {
        Ok(decoded) => assert_eq!(decoded, name, "{name:?} came back from {encoded:?} changed"),
        Err(_) => assert!(name.is_empty(), "{name:?} encodes to {encoded:?}, which does not decode"),
    }
    if let Ok(decoded) = decode_segment(name) {
        assert!(!decoded.is_empty());
        assert_eq!(decode_segment(&encode_segment(&decoded)).as_deref(), Ok(decoded.as_str()));
    }
}

fn check_pair(item: &str, field: &str) {
    if item.is_empty() || field.is_empty() {
        return;
    }
    let reference = SecretRef { item: item.to_owned(), field: field.to_owned() };
    let text = reference.to_string();
    assert_eq!(text.parse::<SecretRef>(), Ok(reference), "{text:?} does not read back");
}

fn check_template(template: &str) {
    let found = match placeholders(template) {
        Ok(found) => found,
        Err(err) => {
            // "line N: …", N a line of the template.
            let message = err.to_string();
            let line: usize = message
                .strip_prefix("line ")
                .and_then(|rest| rest.split_once(':'))
                .and_then(|(n, _)| n.parse().ok())
                .unwrap_or_else(|| panic!("an error without its line: {message}"));
            assert!(line >= 1 && line <= template.matches('\n').count() + 1, "{message}");
            return;
        }
    };
    let mut end = 0;
    for p in &found {
        assert!(end <= p.range.start && p.range.start < p.range.end, "placeholders overlap or run backwards");
        let text = template.get(p.range.clone()).expect("a placeholder is a range inside the template");
        let inner =
            text.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")).expect("a placeholder is {{ … }}");
        assert_eq!(inner.trim().parse::<SecretRef>().as_ref(), Ok(&p.reference));
        assert!(!p.reference.item.is_empty() && !p.reference.field.is_empty());
        end = p.range.end;
    }

    // Nothing skipped: the parser's own rule for what a placeholder is, applied at every `{{`.
    // Every position, overlapping ones included: in `{{{`, the second and third braces open too.
    let opens = template.as_bytes().windows(2).enumerate().filter(|(_, pair)| pair == b"{{").map(|(i, _)| i);
    for open in opens {
        let Some(close) = template[open + 2..].find("}}").map(|i| open + 2 + i) else { break };
        if template[open + 2..close].trim().starts_with(SCHEME) {
            assert!(
                found.iter().any(|p| p.range.contains(&open)),
                "the placeholder at byte {open} was left in the template: {template:?}"
            );
        }
    }

    let own: Vec<Zeroizing<String>> =
        found.iter().map(|p| Zeroizing::new(template[p.range.clone()].to_owned())).collect();
    let filled = fill(template, &found, &own);
    assert_eq!(filled.as_str(), template, "filling each placeholder with its own text changed the template");
    assert_eq!(filled.capacity(), template.len() * 2 - leftover(template, &found), "the buffer grew");

    let empty: Vec<Zeroizing<String>> = found.iter().map(|_| Zeroizing::new(String::new())).collect();
    let emptied = fill(template, &found, &empty);
    assert_eq!(emptied.len(), leftover(template, &found));
    assert_eq!(emptied.capacity(), template.len(), "the buffer grew");
}

/// How much of `template` is not a placeholder.
fn leftover(template: &str, found: &[secret_ref::Placeholder]) -> usize {
    template.len() - found.iter().map(|p| p.range.len()).sum::<usize>()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check_reference(&text);
    check_name(&text);
    let (item, field) = text.split_once('\0').unwrap_or((&text, "password"));
    check_pair(item, field);
    check_template(&text);
});

//! Error messages that never quote a value of the input: a malformed export may hold
//! passwords anywhere, and an error message ends up on a terminal, in a log or in a bug
//! report. serde's messages are rebuilt from their category and shape, keeping the
//! expected types and the input's keys (escaped) and eliding every value.

use crate::ImportError;

/// At most 60 characters of `s`, for messages.
pub(crate) fn excerpt(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_owned(),
    }
}

/// A JSON syntax or shape error, with every input value elided: serde's messages
/// quote the offending value (`invalid type: string "hunter2"`, `integer `1234``),
/// which may be a secret.
pub(crate) fn json_error(err: &serde_json::Error) -> ImportError {
    ImportError::Json { line: err.line(), column: err.column(), reason: safe_reason(err) }
}

/// The message of a per-entry JSON error, with every input value elided.
pub(crate) fn entry_error(entry: String, err: &serde_json::Error) -> ImportError {
    ImportError::Entry { entry, reason: safe_reason(err) }
}

/// What a JSON error says, rebuilt from the parts that cannot hold an input value.
///
/// Syntax and end-of-input errors are fixed texts of serde_json's own, so they are
/// kept. Data errors are serde's messages, which embed the offending value; they are
/// rebuilt from their known shapes, keeping what the target type supplies (the
/// expected type, a field's name) and dropping the value. A data message of any
/// other shape has every quoted span elided, since serde quotes the values it shows.
fn safe_reason(err: &serde_json::Error) -> String {
    let message = err.to_string();
    // serde_json appends the position to its message when it knows one; the import
    // error shows the position itself.
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let message = message.strip_suffix(&suffix).unwrap_or(&message);
    match err.classify() {
        serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof
        | serde_json::error::Category::Io => message.to_owned(),
        serde_json::error::Category::Data => data_reason(message),
    }
}

/// A serde data error's message with the input's value elided (see [`safe_reason`]).
fn data_reason(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        // The value comes first and the expected type last, so splitting at the last
        // separator leaves the value on the side that is elided even if the value
        // itself contains the separator.
        if let Some((unexpected, expected)) =
            message.strip_prefix(prefix).and_then(|rest| rest.rsplit_once(", expected "))
        {
            return format!("{prefix}{}, expected {expected}", elide_unexpected(unexpected));
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        // The length is a count of elements, not a value.
        if rest.split_once(", expected ").is_some_and(|(n, _)| n.bytes().all(|b| b.is_ascii_digit())) {
            return message.to_owned();
        }
    }
    for prefix in ["missing field `", "duplicate field `"] {
        // These name a field of the target type, never something of the input.
        if message.starts_with(prefix) {
            return message.to_owned();
        }
    }
    if let Some((field, expected)) = unknown_name(message, "unknown field `", "fields") {
        // A key of the input, which says which field is wrong; keys are not values.
        // It is escaped so that a hostile file cannot write to the terminal.
        return format!("unknown field `{}`, {expected}", excerpt(field).escape_debug());
    }
    if let Some((_, expected)) = unknown_name(message, "unknown variant `", "variants") {
        // The variant is a string value of the input.
        return format!("unknown variant `…`, {expected}");
    }
    redact_quoted(message)
}

/// Splits serde's `unknown field `x`, expected ...` (or `..., there are no fields`)
/// into the input's name and the expected part. The expected part lists the type's
/// names in backticks, so the split is at the last `` `, expected `` rather than the
/// first backtick, which the input's name may itself contain.
fn unknown_name<'m>(message: &'m str, prefix: &str, what: &str) -> Option<(&'m str, String)> {
    let rest = message.strip_prefix(prefix)?;
    let none = format!("`, there are no {what}");
    if let Some(name) = rest.strip_suffix(&none) {
        return Some((name, none[3..].to_owned()));
    }
    rest.rsplit_once("`, expected ").map(|(name, expected)| (name, format!("expected {expected}")))
}

/// serde's description of an unexpected value (`integer `1234``, `string "x"`) as
/// its kind alone, with a placeholder for the value.
fn elide_unexpected(unexpected: &str) -> String {
    const WITH_VALUE: [(&str, &str); 5] = [
        ("string ", "string \"…\""),
        ("integer ", "integer `…`"),
        ("floating point ", "floating point `…`"),
        ("boolean ", "boolean `…`"),
        ("character ", "character `…`"),
    ];
    const WITHOUT_VALUE: [&str; 12] = [
        "null",
        "byte array",
        "unit value",
        "Option value",
        "newtype struct",
        "sequence",
        "map",
        "enum",
        "unit variant",
        "newtype variant",
        "tuple variant",
        "struct variant",
    ];
    if let Some((_, shown)) = WITH_VALUE.iter().find(|(kind, _)| unexpected.starts_with(kind)) {
        return (*shown).to_owned();
    }
    if WITHOUT_VALUE.contains(&unexpected) {
        return unexpected.to_owned();
    }
    // A kind serde describes in its own words, which may include the value.
    "a value".to_owned()
}

/// Replaces the contents of every quoted span in a message (`"…"`, `` `…` ``,
/// `'…'`) by `…`. Double-quoted spans may contain backslash escapes; the others
/// cannot, as serde writes them.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if matches!(c, '"' | '`' | '\'') {
            let mut escaped = false;
            for next in chars.by_ref() {
                if next == c && !escaped {
                    break;
                }
                escaped = c == '"' && next == '\\' && !escaped;
            }
            out.push('…');
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_json_errors_elide_string_values() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct T {
            n: u8,
        }
        let err = serde_json::from_str::<T>("{\"n\": \"hunter2 \\\" x\"}").unwrap_err();
        let shown = json_error(&err).to_string();
        assert!(!shown.contains("hunter2") && !shown.contains(" x"), "{shown}");
        assert!(shown.starts_with("invalid JSON at line 1, column "), "{shown}");
        assert!(shown.contains("invalid type: string \"…\", expected u8"), "{shown}");
    }

    #[test]
    fn import_json_errors_elide_every_value() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        enum Kind {
            Login,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            s: Option<String>,
            n: Option<u8>,
            k: Option<Kind>,
        }
        let reason = |json: &str| match json_error(&serde_json::from_str::<T>(json).unwrap_err()) {
            ImportError::Json { reason, .. } => reason,
            other => panic!("{other}"),
        };
        assert_eq!(reason(r#"{"s": 1234}"#), "invalid type: integer `…`, expected a string");
        assert_eq!(reason(r#"{"s": -12.5}"#), "invalid type: floating point `…`, expected a string");
        assert_eq!(reason(r#"{"s": true}"#), "invalid type: boolean `…`, expected a string");
        assert_eq!(reason(r#"{"s": [1]}"#), "invalid type: sequence, expected a string");
        assert_eq!(reason(r#"{"n": 4321}"#), "invalid value: integer `…`, expected u8");
        // A value that contains serde's own separator stays hidden.
        let shown = reason(r#"{"n": "a, expected b"}"#);
        assert_eq!(shown, "invalid type: string \"…\", expected u8");
        let shown = reason(r#"{"k": "hunter2"}"#);
        assert!(shown.starts_with("unknown variant `…`, expected ") && !shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("`Login`"), "{shown}");
        // An unknown key is named, escaped; the type's field names are listed.
        let shown = reason("{\"x\\u001b\": 1}");
        assert_eq!(shown, "unknown field `x\\u{1b}`, expected one of `s`, `n`, `k`");
        // Syntax errors are serde_json's fixed texts and keep their position.
        let err = json_error(&serde_json::from_str::<T>("{\"s\": \"1234\",,}").unwrap_err()).to_string();
        assert!(err.starts_with("invalid JSON at line 1, column ") && !err.contains("1234"), "{err}");
        // A message of any other shape has its quoted spans elided.
        assert_eq!(redact_quoted("bad `1` and \"a\\\"b\" and 'c' end"), "bad `…` and \"…\" and '…' end");
    }
}

//! Import from other password managers, and hush's own plaintext export formats
//! (docs/import-export.md).
//!
//! Every parser is a pure function from an export's bytes to an [`Import`]: the items
//! it found and [`Warning`]s about what could not be carried over (an invalid TOTP
//! secret, an entry in the trash). A malformed input is an [`ImportError`] that names
//! the CSV line or the JSON entry, and yields no item at all: callers parse the whole
//! input first and write the vault once, so an import is all or nothing.
//!
//! Only `pass` reads more than the bytes it is given: it walks a folder and decrypts
//! each file through the [`pass::Decrypt`] trait (the real one runs `gpg`).
//!
//! [`plan`] decides which imported items duplicate items already in the vault (or an
//! earlier item of the same import); see [`is_duplicate`] for the rule.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::totp::Totp;
use crate::{Item, ItemKind};

pub mod bitwarden;
pub mod browser;
mod csv_input;
pub mod hush_json;
pub mod keepassxc;
pub mod onepassword;
pub mod pass;

/// What a parser found.
#[derive(Debug, Default)]
pub struct Import {
    /// The items, in the order of the input.
    pub items: Vec<Item>,
    /// What could not be imported as it was; the rest of each entry was imported.
    pub warnings: Vec<Warning>,
}

/// Something of one entry that was not imported (or not as it was).
///
/// Neither part ever contains a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Which entry: `line 7 "GitHub"`, `items[3] "GitHub"`, or a pass entry's path.
    pub entry: String,
    /// What happened to it.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.entry, self.message)
    }
}

/// Why an input could not be imported. Nothing of it is imported.
///
/// Messages name the line, record or entry and never contain a secret value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The input is empty (not even a CSV header).
    #[error("the file is empty")]
    Empty,
    /// A column the format always has is missing from the CSV header.
    #[error("the CSV header has no {column:?} column; is this really a {format} export?")]
    MissingColumn {
        /// The format that was expected.
        format: &'static str,
        /// The column's name as the format spells it.
        column: &'static str,
    },
    /// A CSV record could not be read.
    #[error("line {line} (record {record}): {reason}")]
    Record {
        /// The line the record starts on (1-based; the header is line 1).
        line: u64,
        /// The record's number (1-based, not counting the header).
        record: u64,
        /// What is wrong.
        reason: String,
    },
    /// The JSON is not well-formed, or its top level has the wrong shape.
    #[error("invalid JSON at line {line}, column {column}: {reason}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON parser objected to (string values are elided).
        reason: String,
    },
    /// One entry of the input is invalid.
    #[error("{entry}: {reason}")]
    Entry {
        /// Which entry (`items[3] "GitHub"`).
        entry: String,
        /// What is wrong.
        reason: String,
    },
    /// A Bitwarden export that is encrypted.
    #[error(
        "this Bitwarden export is encrypted, and hush cannot decrypt Bitwarden's formats. In \
         Bitwarden, export again with the file format \".json\" (not \".json (Encrypted)\"), \
         import that file, then delete it"
    )]
    Encrypted,
    /// The input is not the format it was said to be.
    #[error("{0}")]
    WrongFormat(String),
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A pass entry could not be decrypted.
    #[error("cannot decrypt {path}: {reason}")]
    Decrypt {
        /// The `.gpg` file.
        path: PathBuf,
        /// What gpg said.
        reason: String,
    },
}

/// Normalises a TOTP secret (Base32 or `otpauth://` URI) to hush's stored URI form,
/// the way `hush add --totp` does: a bare secret gets the item's name as its issuer.
///
/// Returns `Ok(None)` for an empty value and a warning message for an invalid one.
pub(crate) fn normalize_totp(raw: &str, item_name: &str) -> Result<Option<String>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let mut totp = Totp::parse(raw).map_err(|e| format!("TOTP secret not imported: {e}"))?;
    if totp.issuer().is_none() && totp.account().is_none() {
        // A name with ':' cannot be an issuer; the code works without one.
        let _ = totp.set_issuer(Some(item_name));
    }
    Ok(Some(totp.to_uri()))
}

/// Sets an item's TOTP from an export's value, or records why not.
pub(crate) fn apply_totp(item: &mut Item, raw: &str, entry: &str, warnings: &mut Vec<Warning>) {
    match normalize_totp(raw, &item.name) {
        Ok(totp) => item.totp = totp,
        Err(message) => warnings.push(Warning { entry: entry.to_owned(), message }),
    }
}

/// Adds a custom field, renaming it `name (2)`, `name (3)`... if the item already has
/// one of that name: hush looks fields up by name, and an import must not lose one.
pub(crate) fn push_field(item: &mut Item, name: &str, value: String, hidden: bool) {
    let base = match name.trim() {
        "" => "field",
        n => n,
    };
    let mut name = base.to_owned();
    let mut n = 1;
    while item.field(&name).is_some() {
        n += 1;
        name = format!("{base} ({n})");
    }
    item.fields.push(crate::CustomField { name, value, hidden });
}

/// Adds a tag unless the item already has it.
pub(crate) fn push_tag(item: &mut Item, tag: &str) {
    let tag = tag.trim();
    if !tag.is_empty() && !item.tags.iter().any(|t| t == tag) {
        item.tags.push(tag.to_owned());
    }
}

/// An item from a flat CSV row with a title, one URL, user name, password and notes:
/// a login, or a note when the row has nothing but notes (KeePassXC and 1Password
/// CSV exports have no item types).
pub(crate) fn login_or_note(
    title: &str,
    url: &str,
    username: &str,
    password: &str,
    notes: &str,
    now: i64,
) -> Item {
    let urls = url_list(url);
    let username = username.trim();
    let kind = if username.is_empty() && password.is_empty() && urls.is_empty() && !notes.is_empty() {
        ItemKind::Note
    } else {
        ItemKind::Login
    };
    let mut item = Item::new(kind, item_name(title, &urls), now);
    item.urls = urls;
    item.username = username.to_owned();
    item.password = password.to_owned();
    item.notes = notes.to_owned();
    item
}

/// A CSV cell holding one URL as an item's URL list: empty when the cell is blank.
pub(crate) fn url_list(url: &str) -> Vec<String> {
    Some(url.trim()).filter(|u| !u.is_empty()).map(str::to_owned).into_iter().collect()
}

/// An item's name from an export: the title if any, else the first URL's host, else
/// "untitled" (hush needs a name to find an item by).
pub(crate) fn item_name(title: &str, urls: &[String]) -> String {
    let title = title.trim();
    if !title.is_empty() {
        return title.to_owned();
    }
    urls.iter().find_map(|u| crate::host_of(u)).unwrap_or_else(|| "untitled".to_owned())
}

/// Parses an RFC 3339 time (`2024-01-02T03:04:05.678Z`) to Unix seconds.
pub(crate) fn rfc3339(s: &str) -> Option<i64> {
    s.trim().parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// Unix seconds as RFC 3339 (UTC).
pub(crate) fn to_rfc3339(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Sets an imported item's times: `created` and `modified` come from the export when
/// it has them, so that `hush audit` sees how old a password really is.
pub(crate) fn set_times(item: &mut Item, created: Option<i64>, modified: Option<i64>) {
    if let Some(c) = created {
        item.created = c;
    }
    let m = modified.or(created).unwrap_or(item.updated);
    item.updated = m.max(item.created);
    item.password_changed = item.updated;
}

/// A label for an entry in warnings and errors: its position and, if any, its name.
pub(crate) fn label(position: impl std::fmt::Display, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        position.to_string()
    } else {
        // Debug formatting quotes the name and escapes control characters, so a
        // hostile file cannot write escape sequences to the terminal.
        format!("{position} {:?}", excerpt(name))
    }
}

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

/// Whether `incoming` duplicates `existing`, the rule that keeps a repeated import
/// from doubling a vault:
///
/// - the user names are equal and the passwords are equal (exactly; a changed
///   password is a different item, not a duplicate), and
/// - the names are equal (ignoring case and surrounding spaces), or the two share a
///   URL host (`https://www.github.com/login` and `github.com` share `github.com`);
/// - and, when both have neither user name nor password (notes, cards, TOTP-only
///   items), their notes, custom fields and TOTP secrets are equal too, so that two
///   different notes that happen to share a name are both kept.
pub fn is_duplicate(existing: &Item, incoming: &Item) -> bool {
    if existing.username.trim() != incoming.username.trim() || existing.password != incoming.password {
        return false;
    }
    let same_name = existing.name.trim().to_lowercase() == incoming.name.trim().to_lowercase();
    let same_site = || {
        let hosts: Vec<String> = existing.hosts().collect();
        incoming.hosts().any(|h| hosts.contains(&h))
    };
    if !same_name && !same_site() {
        return false;
    }
    let credentials = !incoming.username.trim().is_empty() || !incoming.password.is_empty();
    credentials
        || (existing.notes == incoming.notes
            && existing.fields == incoming.fields
            && existing.totp == incoming.totp)
}

/// What an import will do.
#[derive(Debug, Default)]
pub struct Plan {
    /// The items to add, in input order.
    pub new: Vec<Item>,
    /// The items skipped as duplicates, in input order.
    pub duplicates: Vec<Duplicate>,
}

/// An imported item that was skipped.
#[derive(Debug)]
pub struct Duplicate {
    /// The skipped item.
    pub item: Item,
    /// The name of the item it duplicates.
    pub of: String,
    /// Whether that item is an earlier entry of the same import rather than one
    /// already in the vault.
    pub within_import: bool,
}

/// Splits `incoming` into new items and duplicates ([`is_duplicate`]) of `existing`
/// items or of earlier incoming ones.
pub fn plan<'a>(existing: impl IntoIterator<Item = &'a Item>, incoming: Vec<Item>) -> Plan {
    // Indexed by credentials, which every duplicate shares, so that a large import
    // into a large vault costs a hash look-up per item rather than a full scan.
    let mut index: HashMap<(&str, &str), Vec<(&Item, bool)>> = HashMap::new();
    for item in existing {
        index.entry((item.username.trim(), item.password.as_str())).or_default().push((item, false));
    }
    let mut verdicts: Vec<Option<(String, bool)>> = Vec::with_capacity(incoming.len());
    for item in &incoming {
        let key = (item.username.trim(), item.password.as_str());
        let found = index
            .get(&key)
            .and_then(|candidates| candidates.iter().find(|(other, _)| is_duplicate(other, item)))
            .map(|(other, within)| (other.name.clone(), *within));
        if found.is_none() {
            index.entry(key).or_default().push((item, true));
        }
        verdicts.push(found);
    }
    drop(index);
    let mut plan = Plan::default();
    for (item, verdict) in incoming.into_iter().zip(verdicts) {
        match verdict {
            None => plan.new.push(item),
            Some((of, within_import)) => plan.duplicates.push(Duplicate { item, of, within_import }),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ItemKind;

    fn login(name: &str, user: &str, pw: &str, url: &str) -> Item {
        let mut i = Item::new(ItemKind::Login, name, 0);
        i.username = user.into();
        i.password = pw.into();
        if !url.is_empty() {
            i.urls.push(url.into());
        }
        i
    }

    #[test]
    fn import_duplicate_rule() {
        let a = login("GitHub", "octocat", "pw", "https://github.com/login");
        // Same name (any case), same credentials.
        assert!(is_duplicate(&a, &login(" github ", "octocat", "pw", "")));
        // Another name but the same host.
        assert!(is_duplicate(&a, &login("gh work", "octocat", "pw", "www.github.com")));
        // A different password or user name is a different item.
        assert!(!is_duplicate(&a, &login("GitHub", "octocat", "pw2", "")));
        assert!(!is_duplicate(&a, &login("GitHub", "other", "pw", "")));
        // Same credentials but neither name nor host in common.
        assert!(!is_duplicate(&a, &login("GitLab", "octocat", "pw", "gitlab.com")));
        // Notes with the same name but different content are both kept.
        let mut n1 = Item::new(ItemKind::Note, "wifi", 0);
        n1.notes = "home".into();
        let mut n2 = Item::new(ItemKind::Note, "wifi", 0);
        n2.notes = "office".into();
        assert!(!is_duplicate(&n1, &n2));
        n2.notes = "home".into();
        assert!(is_duplicate(&n1, &n2));
    }

    #[test]
    fn import_plan_skips_existing_and_repeated_items() {
        let existing = [login("GitHub", "octocat", "pw", "")];
        let incoming = vec![
            login("github", "octocat", "pw", ""),
            login("GitLab", "me", "x", "gitlab.com"),
            login("gitlab (copy)", "me", "x", "https://gitlab.com/users/sign_in"),
            login("GitLab", "me", "y", "gitlab.com"),
        ];
        let plan = plan(existing.iter(), incoming);
        let new: Vec<_> = plan.new.iter().map(|i| i.password.as_str()).collect();
        assert_eq!(new, ["x", "y"]);
        assert_eq!(plan.duplicates.len(), 2);
        assert_eq!(plan.duplicates[0].of, "GitHub");
        assert!(!plan.duplicates[0].within_import);
        assert_eq!(plan.duplicates[1].of, "GitLab");
        assert!(plan.duplicates[1].within_import);
    }

    #[test]
    fn import_totp_is_normalised_and_invalid_ones_warn() {
        let uri = normalize_totp("jbsw y3dp ehpk 3pxp", "GitHub").unwrap().unwrap();
        assert!(uri.starts_with("otpauth://totp/GitHub:?secret=JBSWY3DPEHPK3PXP"), "{uri}");
        assert_eq!(normalize_totp("  ", "x"), Ok(None));
        let err = normalize_totp("steam://ABCDEF", "x").unwrap_err();
        assert!(err.contains("not a TOTP setup link") && !err.contains("ABCDEF"), "{err}");
    }

    #[test]
    fn import_fields_keep_repeated_names() {
        let mut item = Item::new(ItemKind::Login, "x", 0);
        push_field(&mut item, "pin", "1".into(), true);
        push_field(&mut item, "PIN", "2".into(), true);
        push_field(&mut item, "", "3".into(), false);
        let names: Vec<_> = item.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["pin", "PIN (2)", "field"]);
    }

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

    #[test]
    fn import_labels_escape_control_characters() {
        assert_eq!(label("line 3", "a\u{1b}[31mb"), "line 3 \"a\\u{1b}[31mb\"");
        assert_eq!(label("line 3", " "), "line 3");
    }
}

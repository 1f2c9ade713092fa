//! Building hush items from the entries of other managers' exports: the steps every format
//! shares (a TOTP secret normalised as `hush add --totp` does, custom fields and tags without
//! collisions, a login or a note, names and dates).

use hush_totp::Totp;
use hush_vault::{Item, ItemKind};

use crate::{Warning, excerpt};

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
    item.fields.push(hush_vault::CustomField { name, value, hidden });
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
    urls.iter().find_map(|u| hush_vault::host_of(u)).unwrap_or_else(|| "untitled".to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn import_labels_escape_control_characters() {
        assert_eq!(label("line 3", "a\u{1b}[31mb"), "line 3 \"a\\u{1b}[31mb\"");
        assert_eq!(label("line 3", " "), "line 3");
    }
}

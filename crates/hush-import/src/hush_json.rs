//! hush's own plaintext JSON export (`hush export --format json`), and reading it
//! back (`hush import --from hush-json`). It is lossless for everything a user
//! entered: kind, fields (with their hidden flag), every tag, TOTP, password history,
//! the per-item generator policy and the times.
//!
//! ```json
//! {
//!   "format": "hush-export",
//!   "version": 1,
//!   "exported_at": "2026-11-28T22:00:00Z",
//!   "items": [
//!     { "kind": "login", "name": "github", "username": "octocat", "password": "…",
//!       "urls": ["https://github.com"], "totp": "otpauth://totp/…", "notes": "",
//!       "tags": ["dev"], "fields": [{ "name": "pin", "value": "1234", "hidden": true }],
//!       "history": [{ "password": "…", "replaced_at": "2026-01-01T00:00:00Z" }],
//!       "policy": null, "created": "…", "updated": "…", "password_changed": "…" }
//!   ]
//! }
//! ```
//!
//! An item of kind `ssh-key` also has `"ssh_key"`: its private key in OpenSSH's format. The
//! member is left out of every other item, so that an export without SSH keys stays readable
//! by a hush from before they existed.
//!
//! Not exported: item ids (an import always creates new items), revisions, merge
//! conflicts and sync state, and deleted items.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use super::{Import, ImportError, apply_totp, entry_error, json_error, label, rfc3339, to_rfc3339};
use hush_generate::PasswordPolicy;
use hush_vault::{CustomField, Item, ItemKind, PasswordChange};

/// The `format` value that identifies the document.
pub const FORMAT: &str = "hush-export";
/// The version this code writes and reads.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct DocumentOut<'a> {
    format: &'static str,
    version: u32,
    exported_at: String,
    items: Vec<ItemOut<'a>>,
}

/// The JSON form of one item, shared by `hush export --format json` and
/// `hush get --json`, so that scripts see one schema. It includes every secret.
#[derive(Serialize)]
pub struct ItemOut<'a> {
    kind: &'static str,
    name: &'a str,
    username: &'a str,
    password: &'a str,
    urls: &'a [String],
    totp: Option<&'a str>,
    notes: &'a str,
    tags: &'a [String],
    fields: Vec<FieldOut<'a>>,
    history: Vec<HistoryOut<'a>>,
    policy: Option<&'a PasswordPolicy>,
    created: String,
    updated: String,
    password_changed: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ssh_key: Option<&'a str>,
}

impl<'a> ItemOut<'a> {
    /// The JSON form of `item`.
    pub fn new(item: &'a Item) -> Self {
        ItemOut {
            kind: item.kind.as_str(),
            name: &item.name,
            username: &item.username,
            password: &item.password,
            urls: &item.urls,
            totp: item.totp.as_deref(),
            notes: &item.notes,
            tags: &item.tags,
            fields: item
                .fields
                .iter()
                .map(|f| FieldOut { name: &f.name, value: &f.value, hidden: f.hidden })
                .collect(),
            history: history(item),
            policy: item.policy.as_ref(),
            created: to_rfc3339(item.created),
            updated: to_rfc3339(item.updated),
            password_changed: to_rfc3339(item.password_changed),
            ssh_key: item.ssh_key.as_deref(),
        }
    }
}

/// The JSON form of an item's password history (`hush history --json` too).
pub fn history(item: &Item) -> Vec<HistoryOut<'_>> {
    item.history
        .iter()
        .map(|h| HistoryOut { password: &h.password, replaced_at: to_rfc3339(h.replaced_at) })
        .collect()
}

#[derive(Serialize)]
struct FieldOut<'a> {
    name: &'a str,
    value: &'a str,
    hidden: bool,
}

/// One previous password in JSON.
#[derive(Serialize)]
pub struct HistoryOut<'a> {
    password: &'a str,
    replaced_at: String,
}

#[derive(Deserialize)]
struct DocumentIn {
    format: String,
    version: u32,
    items: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemIn {
    kind: String,
    name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    totp: Option<String>,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    fields: Vec<FieldIn>,
    #[serde(default)]
    history: Vec<HistoryIn>,
    #[serde(default)]
    policy: Option<PasswordPolicy>,
    created: Option<String>,
    updated: Option<String>,
    password_changed: Option<String>,
    #[serde(default)]
    ssh_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldIn {
    name: String,
    value: String,
    #[serde(default)]
    hidden: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryIn {
    password: String,
    replaced_at: String,
}

/// Writes `items` as a hush JSON export made at `now` (Unix seconds).
pub fn write_json<'a>(items: impl IntoIterator<Item = &'a Item>, now: i64) -> Zeroizing<Vec<u8>> {
    let items: Vec<ItemOut<'_>> = items.into_iter().map(ItemOut::new).collect();
    // Reserve generously up front: a growing Vec leaves copies of the plaintext in
    // freed memory that zeroizing the final buffer cannot reach.
    let estimate: usize = items
        .iter()
        .map(|i| {
            512 + 2 * (i.name.len() + i.username.len() + i.password.len() + i.notes.len())
                + 2 * i.totp.map_or(0, str::len)
                + i.urls.iter().chain(i.tags).map(|s| 2 * s.len() + 8).sum::<usize>()
                + i.fields.iter().map(|f| 2 * (f.name.len() + f.value.len()) + 64).sum::<usize>()
                + i.history.iter().map(|h| 2 * h.password.len() + 96).sum::<usize>()
                + 2 * i.ssh_key.map_or(0, str::len)
        })
        .sum();
    let doc = DocumentOut { format: FORMAT, version: VERSION, exported_at: to_rfc3339(now), items };
    let mut out = Zeroizing::new(Vec::with_capacity(4 * estimate + 256));
    // Serialising plain structs of strings into a Vec cannot fail.
    let _ = serde_json::to_writer_pretty(&mut *out, &doc);
    out.push(b'\n');
    out
}

/// Reads a hush JSON export.
pub fn parse_json(input: &[u8], now: i64) -> Result<Import, ImportError> {
    let doc: DocumentIn = serde_json::from_slice(input).map_err(|e| json_error(&e))?;
    if doc.format != FORMAT {
        return Err(ImportError::WrongFormat(format!(
            "this JSON is not a hush export (its \"format\" is not {FORMAT:?}); for a Bitwarden export \
             use --from bitwarden-json"
        )));
    }
    if doc.version != VERSION {
        return Err(ImportError::WrongFormat(format!(
            "this hush export has version {}, which this hush does not know; upgrade hush",
            doc.version
        )));
    }
    let mut import = Import::default();
    for (index, value) in doc.items.into_iter().enumerate() {
        let title = value.get("name").and_then(Value::as_str).unwrap_or("").to_owned();
        let entry = label(format!("items[{index}]"), &title);
        let raw: ItemIn = serde_json::from_value(value).map_err(|e| entry_error(entry.clone(), &e))?;
        let bad = |reason: String| ImportError::Entry { entry: entry.clone(), reason };
        let kind: ItemKind = raw.kind.parse().map_err(bad)?;
        if raw.name.trim().is_empty() {
            return Err(bad("the item has no name".into()));
        }
        let time = |what: &str, value: Option<&str>| -> Result<Option<i64>, ImportError> {
            value
                .map(|v| rfc3339(v).ok_or_else(|| bad(format!("{what} is not an RFC 3339 time"))))
                .transpose()
        };
        let mut item = Item::new(kind, raw.name, now);
        item.username = raw.username;
        item.password = raw.password;
        item.urls = raw.urls;
        item.notes = raw.notes;
        item.tags = raw.tags;
        item.fields = raw
            .fields
            .into_iter()
            .map(|f| CustomField { name: f.name, value: f.value, hidden: f.hidden })
            .collect();
        item.history = raw
            .history
            .into_iter()
            .map(|h| {
                let replaced_at = time("a history entry's replaced_at", Some(&h.replaced_at))?.unwrap_or(now);
                Ok(PasswordChange { password: h.password, replaced_at })
            })
            .collect::<Result<_, ImportError>>()?;
        item.policy = raw.policy;
        item.ssh_key = raw.ssh_key.filter(|k| !k.is_empty());
        item.created = time("created", raw.created.as_deref())?.unwrap_or(now);
        item.updated = time("updated", raw.updated.as_deref())?.unwrap_or(item.created);
        item.password_changed =
            time("password_changed", raw.password_changed.as_deref())?.unwrap_or(item.updated);
        apply_totp(&mut item, raw.totp.as_deref().unwrap_or(""), &entry, &mut import.warnings);
        import.items.push(item);
    }
    Ok(import)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push_field;

    fn sample() -> Vec<Item> {
        let mut a = Item::new(ItemKind::Login, "GitHub", 1_700_000_000);
        a.username = "octocat".into();
        a.set_password("old \"one\"".into(), 1_700_000_100);
        a.set_password("new\npw".into(), 1_700_000_200);
        a.urls = vec!["https://github.com".into()];
        a.totp = Some(
            "otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP&issuer=GitHub&algorithm=SHA1&digits=6&period=30"
                .into(),
        );
        a.tags = vec!["dev".into(), "work".into()];
        push_field(&mut a, "pin", "1234".into(), true);
        push_field(&mut a, "team", "core".into(), false);
        a.policy = Some(PasswordPolicy { symbols: false, ..PasswordPolicy::default() });
        a.updated = 1_700_000_300;
        let mut card = Item::new(ItemKind::Card, "Visa", 1_600_000_000);
        push_field(&mut card, "number", "4111111111111111".into(), true);
        let mut otp = Item::new(ItemKind::TotpOnly, "AWS", 1_600_000_000);
        otp.totp = a.totp.clone();
        let mut ssh = Item::new(ItemKind::SshKey, "deploy key", 1_600_000_000);
        ssh.ssh_key = Some(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...\n-----END OPENSSH PRIVATE KEY-----\n".into(),
        );
        vec![a, card, otp, ssh]
    }

    #[test]
    fn import_hush_json_round_trip_is_lossless() {
        let items = sample();
        let bytes = write_json(&items, 1_800_000_000);
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(
            text.contains("\"format\": \"hush-export\"")
                && text.contains("\"exported_at\": \"2027-01-15T08:00:00Z\"")
        );
        assert_eq!(text.matches("\"ssh_key\"").count(), 1, "only the SSH key item has the member");
        let back = parse_json(&bytes, 0).unwrap();
        assert!(back.warnings.is_empty());
        assert_eq!(back.items, items, "every user-visible field survives");
    }

    #[test]
    fn import_hush_json_rejects_malformed_input() {
        let err = parse_json(b"{\"format\": \"hush-export\", \"version\": 1, \"items\": [", 0).unwrap_err();
        assert!(err.to_string().starts_with("invalid JSON at line 1"), "{err}");
        let err = parse_json(br#"{"encrypted": false, "items": []}"#, 0).unwrap_err().to_string();
        assert!(err.contains("missing field `format`"), "{err}");
        let err =
            parse_json(br#"{"format": "other", "version": 1, "items": []}"#, 0).unwrap_err().to_string();
        assert!(err.contains("not a hush export"), "{err}");
        let err = parse_json(br#"{"format": "hush-export", "version": 2, "items": []}"#, 0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("version 2"), "{err}");
        let doc = |item: &str| format!(r#"{{"format": "hush-export", "version": 1, "items": [{item}]}}"#);
        let err = parse_json(doc(r#"{"kind": "boat", "name": "x"}"#).as_bytes(), 0).unwrap_err().to_string();
        assert!(err.starts_with("items[0] \"x\": unknown kind \"boat\""), "{err}");
        let err = parse_json(doc(r#"{"kind": "login", "name": "x", "created": "yesterday"}"#).as_bytes(), 0)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "items[0] \"x\": created is not an RFC 3339 time");
        let err = parse_json(doc(r#"{"kind": "login", "name": " "}"#).as_bytes(), 0).unwrap_err().to_string();
        assert_eq!(err, "items[0]: the item has no name");
        let err = parse_json(doc(r#"{"kind": "login", "name": "x", "pasword": "typo"}"#).as_bytes(), 0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `pasword`"), "{err}");
    }
}

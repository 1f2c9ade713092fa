//! Bitwarden's unencrypted exports: JSON (`bitwarden_export_*.json`) and CSV, and
//! writing hush's items as a Bitwarden CSV (`hush export --format csv`).
//!
//! Formats as Bitwarden documents them (<https://bitwarden.com/help/condition-bitwarden-import/>)
//! and as its own importer reads them (`libs/importer/src/importers/bitwarden/` in
//! bitwarden/clients). JSON items have a numeric `type`: 1 login, 2 secure note,
//! 3 card, 4 identity, 5 SSH key. Folders (or, in an organisation's export,
//! collections) become tags; `favorite` becomes the tag "favorite".
//!
//! Encrypted exports (`"encrypted": true`, account- or password-protected) are
//! refused with [`ImportError::Encrypted`].

use serde::Deserialize;
use serde_json::Value;
use zeroize::Zeroizing;

use super::csv_input::{CsvInput, split_row};
use super::{
    Import, ImportError, Warning, apply_totp, entry_error, item_name, json_error, label, push_field,
    push_tag, rfc3339, set_times,
};
use hush_vault::{Item, ItemKind, PasswordChange};

/// The tag that stands for Bitwarden's (and 1Password's) "favorite" flag.
pub const FAVORITE_TAG: &str = "favorite";

/// The columns of Bitwarden's CSV export of an individual vault, in its order.
pub const CSV_COLUMNS: [&str; 11] = [
    "folder",
    "favorite",
    "type",
    "name",
    "notes",
    "fields",
    "reprompt",
    "login_uri",
    "login_username",
    "login_password",
    "login_totp",
];

/// The top level of an export. Items stay untyped here so that an invalid one can be
/// reported by its index and name.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    password_protected: bool,
    #[serde(default)]
    folders: Option<Vec<Folder>>,
    /// An organisation's export has collections instead of folders.
    #[serde(default)]
    collections: Option<Vec<Folder>>,
    #[serde(default)]
    items: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct Folder {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BwItem {
    #[serde(rename = "type")]
    kind: i64,
    name: Option<String>,
    notes: Option<String>,
    favorite: Option<bool>,
    folder_id: Option<String>,
    collection_ids: Option<Vec<String>>,
    fields: Option<Vec<BwField>>,
    login: Option<BwLogin>,
    card: Option<BwCard>,
    identity: Option<BwIdentity>,
    ssh_key: Option<BwSshKey>,
    password_history: Option<Vec<BwHistory>>,
    creation_date: Option<String>,
    revision_date: Option<String>,
    deleted_date: Option<String>,
}

#[derive(Deserialize)]
struct BwField {
    name: Option<String>,
    value: Option<String>,
    /// 0 text, 1 hidden, 2 boolean, 3 linked (to another field; no value).
    #[serde(rename = "type")]
    kind: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BwLogin {
    username: Option<String>,
    password: Option<String>,
    totp: Option<String>,
    uris: Option<Vec<BwUri>>,
    password_revision_date: Option<String>,
}

#[derive(Deserialize)]
struct BwUri {
    uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BwCard {
    cardholder_name: Option<String>,
    brand: Option<String>,
    number: Option<String>,
    exp_month: Option<String>,
    exp_year: Option<String>,
    code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BwIdentity {
    title: Option<String>,
    first_name: Option<String>,
    middle_name: Option<String>,
    last_name: Option<String>,
    address1: Option<String>,
    address2: Option<String>,
    address3: Option<String>,
    city: Option<String>,
    state: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
    company: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    ssn: Option<String>,
    username: Option<String>,
    passport_number: Option<String>,
    license_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BwSshKey {
    private_key: Option<String>,
    public_key: Option<String>,
    key_fingerprint: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BwHistory {
    last_used_date: Option<String>,
    password: Option<String>,
}

/// Parses Bitwarden's unencrypted JSON export.
pub fn parse_json(input: &[u8], now: i64) -> Result<Import, ImportError> {
    let envelope: Envelope = serde_json::from_slice(input).map_err(|e| json_error(&e))?;
    if envelope.encrypted || envelope.password_protected {
        return Err(ImportError::Encrypted);
    }
    let Some(raw_items) = envelope.items else {
        return Err(ImportError::WrongFormat(
            "the JSON has no \"items\" list; is this really a Bitwarden JSON export?".into(),
        ));
    };
    let groups: Vec<(String, String)> = envelope
        .folders
        .into_iter()
        .flatten()
        .chain(envelope.collections.into_iter().flatten())
        .filter_map(|f| Some((f.id?, f.name?)))
        .collect();
    let group_name = |id: &str| groups.iter().find(|(gid, _)| gid == id).map(|(_, name)| name.as_str());

    let mut import = Import::default();
    for (index, value) in raw_items.into_iter().enumerate() {
        let title = value.get("name").and_then(Value::as_str).unwrap_or("").to_owned();
        let entry = label(format!("items[{index}]"), &title);
        let bw: BwItem = serde_json::from_value(value).map_err(|e| entry_error(entry.clone(), &e))?;
        if bw.deleted_date.is_some() {
            import.warnings.push(Warning { entry, message: "in Bitwarden's trash; not imported".into() });
            continue;
        }
        let item = convert(bw, &entry, now, &group_name, &mut import.warnings);
        import.items.push(item);
    }
    Ok(import)
}

/// One JSON item as a hush item.
fn convert<'g>(
    bw: BwItem,
    entry: &str,
    now: i64,
    group_name: &dyn Fn(&str) -> Option<&'g str>,
    warnings: &mut Vec<Warning>,
) -> Item {
    let kind = match bw.kind {
        1 => ItemKind::Login,
        3 => ItemKind::Card,
        2 | 4 | 5 => ItemKind::Note,
        other => {
            warnings.push(Warning {
                entry: entry.to_owned(),
                message: format!("unknown Bitwarden item type {other}; imported as a note"),
            });
            ItemKind::Note
        }
    };
    let urls: Vec<String> = bw
        .login
        .as_ref()
        .and_then(|l| l.uris.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|u| u.uri.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned))
        .collect();
    let mut item = Item::new(kind, item_name(bw.name.as_deref().unwrap_or(""), &urls), now);
    item.urls = urls;
    item.notes = bw.notes.unwrap_or_default();
    let created = bw.creation_date.as_deref().and_then(rfc3339);
    set_times(&mut item, created, bw.revision_date.as_deref().and_then(rfc3339));
    let mut password_revision = None;

    if let Some(login) = bw.login {
        item.username = login.username.unwrap_or_default().trim().to_owned();
        item.password = login.password.unwrap_or_default();
        password_revision = login.password_revision_date.as_deref().and_then(rfc3339);
        apply_totp(&mut item, login.totp.as_deref().unwrap_or(""), entry, warnings);
    }
    if let Some(card) = bw.card {
        let expiry = match (card.exp_month.as_deref(), card.exp_year.as_deref()) {
            (Some(m), Some(y)) if !m.trim().is_empty() && !y.trim().is_empty() => {
                Some(format!("{:0>2}/{}", m.trim(), y.trim()))
            }
            (m, y) => m.or(y).map(|v| v.trim().to_owned()),
        };
        for (name, value, hidden) in [
            ("cardholder", card.cardholder_name, false),
            ("brand", card.brand, false),
            ("number", card.number, true),
            ("expiry", expiry, false),
            ("code", card.code, true),
        ] {
            push_nonempty(&mut item, name, value, hidden);
        }
    }
    if let Some(id) = bw.identity {
        for (name, value, hidden) in [
            ("title", id.title, false),
            ("first name", id.first_name, false),
            ("middle name", id.middle_name, false),
            ("last name", id.last_name, false),
            ("address 1", id.address1, false),
            ("address 2", id.address2, false),
            ("address 3", id.address3, false),
            ("city", id.city, false),
            ("state", id.state, false),
            ("postal code", id.postal_code, false),
            ("country", id.country, false),
            ("company", id.company, false),
            ("email", id.email, false),
            ("phone", id.phone, false),
            ("ssn", id.ssn, true),
            ("username", id.username, false),
            ("passport number", id.passport_number, true),
            ("license number", id.license_number, true),
        ] {
            push_nonempty(&mut item, name, value, hidden);
        }
    }
    if let Some(key) = bw.ssh_key {
        push_nonempty(&mut item, "private key", key.private_key, true);
        push_nonempty(&mut item, "public key", key.public_key, false);
        push_nonempty(&mut item, "fingerprint", key.key_fingerprint, false);
    }
    for field in bw.fields.into_iter().flatten() {
        let name = field.name.unwrap_or_default();
        match field.kind.unwrap_or(0) {
            // A linked field points at another field (e.g. the user name) and holds
            // no value of its own.
            3 => {}
            kind => push_field(&mut item, &name, field.value.unwrap_or_default(), kind == 1),
        }
    }
    let mut history: Vec<PasswordChange> = bw
        .password_history
        .into_iter()
        .flatten()
        .filter_map(|h| {
            let password = h.password.filter(|p| !p.is_empty())?;
            let replaced_at = h.last_used_date.as_deref().and_then(rfc3339).unwrap_or(item.created);
            Some(PasswordChange { password, replaced_at })
        })
        .collect();
    // Bitwarden lists the newest first; hush keeps history oldest first.
    history.sort_by_key(|h| h.replaced_at);
    item.history = history;
    // When the password was set (issue #14: `hush audit --breaches` compares it with breach
    // dates). Bitwarden sets `passwordRevisionDate` when a password is replaced, and leaves it
    // null while the first one stands: then the password is as old as the item, or as the
    // replacement of the newest history entry. The item's `revisionDate` would be wrong: any
    // later edit (a note, a folder) would make an exposed password look changed after a breach.
    // A password added to an item created without one is dated too early by this: flagged
    // rather than missed.
    if !item.password.is_empty() {
        item.password_changed = password_revision
            .or(item.history.last().map(|h| h.replaced_at))
            .or(created)
            .unwrap_or(item.password_changed);
    }

    if let Some(folder) = bw.folder_id.as_deref().and_then(group_name) {
        push_tag(&mut item, folder);
    }
    for collection in bw.collection_ids.iter().flatten().filter_map(|id| group_name(id)) {
        push_tag(&mut item, collection);
    }
    if bw.favorite == Some(true) {
        push_tag(&mut item, FAVORITE_TAG);
    }
    item
}

fn push_nonempty(item: &mut Item, name: &str, value: Option<String>, hidden: bool) {
    if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
        push_field(item, name, value, hidden);
    }
}

/// Parses Bitwarden's CSV export (`folder,favorite,type,name,notes,fields,reprompt,
/// login_uri,login_username,login_password,login_totp`; an organisation's export has
/// `collections` instead of `folder`). Bitwarden writes only logins and notes to CSV.
pub fn parse_csv(input: &[u8], now: i64) -> Result<Import, ImportError> {
    const FORMAT: &str = "Bitwarden CSV";
    let csv = CsvInput::read(input)?;
    let name_col = csv.require(FORMAT, &["name"])?;
    let password_col = csv.require(FORMAT, &["login_password"])?;
    let folder = csv.column(&["folder"]);
    let collections = csv.column(&["collections"]);
    let favorite = csv.column(&["favorite"]);
    let kind = csv.column(&["type"]);
    let notes = csv.column(&["notes"]);
    let fields = csv.column(&["fields"]);
    let uri = csv.column(&["login_uri"]);
    let username = csv.column(&["login_username"]);
    let totp = csv.column(&["login_totp"]);

    let mut import = Import::default();
    for row in csv.rows() {
        let entry = label(format!("line {}", row.line), row.at(name_col));
        let kind = match row.get(kind).trim().to_lowercase().as_str() {
            "note" => ItemKind::Note,
            // Bitwarden's own importer reads anything else as a login.
            _ => ItemKind::Login,
        };
        let urls = split_row(row.get(uri));
        let mut item = Item::new(kind, item_name(row.at(name_col), &urls), now);
        item.urls = urls;
        item.username = row.get(username).trim().to_owned();
        item.password = row.at(password_col).to_owned();
        item.notes = row.get(notes).to_owned();
        parse_fields(&mut item, row.get(fields));
        apply_totp(&mut item, row.get(totp), &entry, &mut import.warnings);
        push_tag(&mut item, row.get(folder));
        for collection in split_row(row.get(collections)) {
            push_tag(&mut item, &collection);
        }
        if !matches!(row.get(favorite).trim(), "" | "0" | "false") {
            push_tag(&mut item, FAVORITE_TAG);
        }
        import.items.push(item);
    }
    Ok(import)
}

/// Reads the `fields` column: one `name: value` per line. Bitwarden splits at the
/// last ": " of a line; a line without one continues the previous field's value
/// (Bitwarden writes multi-line values that way, and its own importer drops them).
fn parse_fields(item: &mut Item, text: &str) {
    for line in text.lines() {
        match line.rsplit_once(": ") {
            Some((name, value)) => push_field(item, name, value.to_owned(), false),
            None if line.trim().is_empty() => {}
            None => match item.fields.last_mut() {
                Some(last) => {
                    last.value.push('\n');
                    last.value.push_str(line);
                }
                None => push_field(item, "", line.to_owned(), false),
            },
        }
    }
}

/// Writes items as Bitwarden's CSV, which Bitwarden and most other managers import.
///
/// The format holds less than a hush item: the first tag other than "favorite"
/// becomes the folder and other tags are lost; cards and notes are written as notes
/// and TOTP-only items as logins; custom fields lose their hidden flag; password
/// history and times are not written. `hush export --format json` keeps everything.
pub fn write_csv<'a>(items: impl IntoIterator<Item = &'a Item>) -> Zeroizing<Vec<u8>> {
    let mut writer =
        csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    // Writing to a Vec cannot fail; errors would only come from I/O.
    let _ = writer.write_record(CSV_COLUMNS);
    for item in items {
        let favorite = item.tags.iter().any(|t| t == FAVORITE_TAG);
        let folder = item.tags.iter().find(|t| *t != FAVORITE_TAG).map_or("", String::as_str);
        let kind = match item.kind {
            ItemKind::Login | ItemKind::TotpOnly => "login",
            ItemKind::Note | ItemKind::Card | ItemKind::SshKey => "note",
        };
        // Bitwarden's CSV has no column for an SSH key; the notes carry it, so that an export
        // never silently drops a private key (docs/import-export.md, "Export").
        let notes = Zeroizing::new(match item.ssh_key.as_deref().filter(|k| !k.is_empty()) {
            Some(key) if item.notes.is_empty() => key.to_owned(),
            Some(key) => format!("{}\n\n{key}", item.notes),
            None => item.notes.clone(),
        });
        let fields = Zeroizing::new(
            item.fields.iter().map(|f| format!("{}: {}", f.name, f.value)).collect::<Vec<_>>().join("\n"),
        );
        let uris = join_row(&item.urls);
        let _ = writer.write_record([
            folder,
            if favorite { "1" } else { "" },
            kind,
            &item.name,
            &notes,
            &fields,
            "0",
            &uris,
            &item.username,
            &item.password,
            item.totp.as_deref().unwrap_or(""),
        ]);
    }
    Zeroizing::new(writer.into_inner().unwrap_or_default())
}

/// Joins values as one CSV row (the inverse of `split_row`).
fn join_row(values: &[String]) -> String {
    if values.is_empty() {
        return String::new();
    }
    let mut writer =
        csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let _ = writer.write_record(values);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default().trim_end_matches('\n').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &[u8] = include_bytes!("../tests/data/import/bitwarden.json");
    const CSV: &[u8] = include_bytes!("../tests/data/import/bitwarden.csv");

    #[test]
    fn import_bitwarden_json_maps_every_item_type() {
        let import = parse_json(JSON, 1_000).unwrap();
        let names: Vec<_> = import.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["GitHub", "Wi-Fi", "Visa", "Jane Doe", "server key", "no-name.example"]);

        let gh = &import.items[0];
        assert_eq!(gh.kind, ItemKind::Login);
        assert_eq!((gh.username.as_str(), gh.password.as_str()), ("octocat", "gh-pass"));
        assert_eq!(gh.urls, ["https://github.com/login", "https://gist.github.com"]);
        assert_eq!(gh.tags, ["Work/Dev", "favorite"]);
        assert!(gh.totp.as_deref().unwrap().contains("secret=JBSWY3DPEHPK3PXP"));
        assert_eq!(gh.notes, "work account");
        let fields: Vec<_> =
            gh.fields.iter().map(|f| (f.name.as_str(), f.value.as_str(), f.hidden)).collect();
        assert_eq!(
            fields,
            [("recovery", "r3c0very", true), ("team", "core", false), ("admin", "true", false)],
            "the linked field is skipped"
        );
        assert_eq!(gh.history.len(), 2);
        assert_eq!(gh.history[0].password, "oldest");
        assert_eq!(gh.history[1].password, "older");
        assert_eq!(gh.created, 1_704_067_200); // 2024-01-01T00:00:00Z
        assert_eq!(gh.updated, 1_706_745_600); // 2024-02-01T00:00:00Z
        assert_eq!(gh.password_changed, 1_705_312_800); // 2024-01-15T10:00:00Z

        let note = &import.items[1];
        assert_eq!((note.kind, note.notes.as_str()), (ItemKind::Note, "ssid: home\npsk: letmein"));
        assert_eq!((note.created, note.updated), (1_000, 1_000), "no dates: the import time");

        let card = &import.items[2];
        assert_eq!(card.kind, ItemKind::Card);
        assert_eq!(
            card.field("number").map(|f| (f.value.as_str(), f.hidden)),
            Some(("4111111111111111", true))
        );
        assert_eq!(card.field("expiry").unwrap().value, "04/2030");
        assert!(card.field("code").unwrap().hidden);

        let id = &import.items[3];
        assert_eq!(id.kind, ItemKind::Note);
        assert_eq!(id.field("email").unwrap().value, "jane@example.org");
        assert!(id.field("passport number").unwrap().hidden);
        assert!(id.field("middle name").is_none(), "null values are not fields");

        let ssh = &import.items[4];
        assert!(ssh.field("private key").unwrap().hidden);

        // No name: the URL's host names it.
        assert_eq!(import.items[5].username, "anon");

        // The invalid TOTP is a warning naming the entry; the item is still imported.
        let warnings: Vec<_> = import.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("items[5]: TOTP secret not imported:"), "{warnings:?}");
        assert!(warnings[1].starts_with("items[6] \"Old\": in Bitwarden's trash"), "{warnings:?}");
        assert!(import.items[5].totp.is_none());
    }

    #[test]
    fn import_bitwarden_json_dates_the_password_not_the_last_edit() {
        let doc = |login: &str| {
            format!(
                r#"{{"encrypted": false, "items": [{{"type": 1, "name": "plex",
                "creationDate": "2014-01-01T00:00:00.000Z", "revisionDate": "2024-06-01T00:00:00.000Z",
                "login": {login}}}]}}"#
            )
        };
        let changed =
            |login: &str| parse_json(doc(login).as_bytes(), 9_000_000_000).unwrap().items[0].password_changed;
        // passwordRevisionDate is kept as it is.
        assert_eq!(
            changed(r#"{"password": "p", "passwordRevisionDate": "2016-03-01T00:00:00.000Z"}"#),
            1_456_790_400
        );
        // Never replaced: as old as the item, not as its last edit (2024).
        assert_eq!(changed(r#"{"password": "p", "passwordRevisionDate": null}"#), 1_388_534_400);
        assert_eq!(changed(r#"{"password": "p"}"#), 1_388_534_400);
        // Null, but a history: set when the newest history entry was replaced.
        let with_history = r#"{"encrypted": false, "items": [{"type": 1, "name": "plex",
            "creationDate": "2014-01-01T00:00:00.000Z", "revisionDate": "2024-06-01T00:00:00.000Z",
            "passwordHistory": [{"lastUsedDate": "2015-02-01T00:00:00.000Z", "password": "older"}],
            "login": {"password": "p"}}]}"#;
        assert_eq!(parse_json(with_history.as_bytes(), 0).unwrap().items[0].password_changed, 1_422_748_800);
    }

    #[test]
    fn import_bitwarden_json_refuses_encrypted_exports() {
        let account = br#"{"encrypted": true, "encKeyValidation_DO_NOT_EDIT": "2.abc|def|ghi",
            "folders": [], "items": [{"type": 1, "name": "2.xyz|uvw|rst"}]}"#;
        assert!(matches!(parse_json(account, 0), Err(ImportError::Encrypted)));
        let password = br#"{"encrypted": true, "passwordProtected": true, "salt": "c2FsdA==",
            "kdfType": 0, "kdfIterations": 600000, "encKeyValidation_DO_NOT_EDIT": "2.a|b|c", "data": "2.d|e|f"}"#;
        let err = parse_json(password, 0).unwrap_err();
        assert!(err.to_string().contains("export again with the file format \".json\""), "{err}");
    }

    #[test]
    fn import_bitwarden_json_rejects_malformed_input() {
        // Not JSON at all: the position is named.
        let err = parse_json(b"{\"items\": [\n  {\"type\": 1,,}\n]}", 0).unwrap_err().to_string();
        assert!(err.starts_with("invalid JSON at line 2, column "), "{err}");
        // Valid JSON of another shape.
        let err = parse_json(b"[1, 2]", 0).unwrap_err().to_string();
        assert!(err.starts_with("invalid JSON"), "{err}");
        let err = parse_json(b"{\"folders\": []}", 0).unwrap_err().to_string();
        assert!(err.contains("no \"items\" list"), "{err}");
        // One invalid entry names its index and name, and hides the bad value.
        let bad = br#"{"items": [{"type": 2, "name": "ok"}, {"type": 1, "name": "Bank", "login": {"password": 1234}}]}"#;
        let err = parse_json(bad, 0).unwrap_err().to_string();
        assert!(err.starts_with("items[1] \"Bank\": invalid type: integer"), "{err}");
        assert!(!err.contains("1234"), "{err}");
        let bad = br#"{"items": [{"type": 1, "name": "Bank", "login": {"password": "hunter2", "totp": 9}}]}"#;
        let err = parse_json(bad, 0).unwrap_err().to_string();
        assert!(err.starts_with("items[0] \"Bank\": invalid type: integer"), "{err}");
        assert!(!err.contains('9') && !err.contains("hunter2"), "{err}");
        let bad = br#"{"items": [{"type": 1, "name": "Bank", "login": {"password": true}}]}"#;
        let err = parse_json(bad, 0).unwrap_err().to_string();
        assert!(err.starts_with("items[0] \"Bank\": invalid type: boolean"), "{err}");
        assert!(!err.contains("true"), "{err}");
        let bad = br#"{"items": [{"type": "hunter2", "name": "Bank"}]}"#;
        let err = parse_json(bad, 0).unwrap_err().to_string();
        assert!(err.starts_with("items[0] \"Bank\": invalid type: string"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let bad = br#"{"items": [{"type": 1, "name": "Bank", "notes": ["hunter2"]}]}"#;
        let err = parse_json(bad, 0).unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        let bad = br#"{"items": [{"name": "no type"}]}"#;
        let err = parse_json(bad, 0).unwrap_err().to_string();
        assert!(err.contains("missing field `type`"), "{err}");
    }

    #[test]
    fn import_bitwarden_csv() {
        let import = parse_csv(CSV, 5).unwrap();
        assert_eq!(import.items.len(), 4);
        let gh = &import.items[0];
        assert_eq!(
            (gh.name.as_str(), gh.username.as_str(), gh.password.as_str()),
            ("GitHub", "octocat", "p,w\"1")
        );
        assert_eq!(gh.urls, ["https://github.com/login", "https://gist.github.com/a,b"]);
        assert_eq!(gh.tags, ["Work", "favorite"]);
        let fields: Vec<_> = gh.fields.iter().map(|f| (f.name.as_str(), f.value.as_str())).collect();
        assert_eq!(fields, [("pin", "1234"), ("question: pet", "rex\nand a cat")]);
        assert!(
            gh.totp.as_deref().unwrap().starts_with("otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP")
        );

        let note = &import.items[1];
        assert_eq!((note.kind, note.notes.as_str()), (ItemKind::Note, "line one\nline two"));
        assert!(note.tags.is_empty());

        assert_eq!(import.items[2].name, "example.org", "named after the host");
        assert!(import.items[2].totp.is_none());
        let warnings: Vec<_> = import.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("line 7: TOTP secret not imported"), "{warnings:?}");
        assert_eq!(import.items[3].kind, ItemKind::Login);
    }

    #[test]
    fn import_bitwarden_csv_rejects_malformed_input() {
        let err = parse_csv(b"folder,name,login_password\nx,y\n", 0).unwrap_err().to_string();
        assert!(err.starts_with("line 2 (record 1): 2 fields where the header has 3"), "{err}");
        let err = parse_csv(b"folder,title,login_password\nx,y,z\n", 0).unwrap_err().to_string();
        assert_eq!(err, "the CSV header has no \"name\" column; is this really a Bitwarden CSV export?");
        let err = parse_csv(b"folder,name\nx,y\n", 0).unwrap_err().to_string();
        assert!(err.contains("no \"login_password\" column"), "{err}");
        assert!(matches!(parse_csv(b"", 0), Err(ImportError::Empty)));
    }

    #[test]
    fn import_bitwarden_csv_writer_round_trips() {
        let mut a = Item::new(ItemKind::Login, "GitHub", 0);
        a.username = "octocat".into();
        a.password = "p,w\"1\nx".into();
        a.urls = vec!["https://github.com".into(), "https://a.example/x,y".into()];
        a.tags = vec!["favorite".into(), "Work".into(), "lost".into()];
        a.totp = Some(
            "otpauth://totp/GitHub:?secret=JBSWY3DPEHPK3PXP&issuer=GitHub&algorithm=SHA1&digits=6&period=30"
                .into(),
        );
        push_field(&mut a, "pin", "1234".into(), true);
        let mut n = Item::new(ItemKind::Note, "note", 0);
        n.notes = "multi\nline".into();
        let bytes = write_csv([&a, &n]);
        assert!(bytes.starts_with(b"folder,favorite,type,name,notes,fields,reprompt,login_uri,"));
        let back = parse_csv(&bytes, 0).unwrap();
        assert!(back.warnings.is_empty());
        let b = &back.items[0];
        assert_eq!(
            (b.name.as_str(), b.username.as_str(), b.password.as_str()),
            ("GitHub", "octocat", "p,w\"1\nx")
        );
        assert_eq!(b.urls, a.urls);
        assert_eq!(b.tags, ["Work", "favorite"]);
        assert_eq!(b.totp, a.totp);
        assert_eq!((b.fields[0].name.as_str(), b.fields[0].value.as_str()), ("pin", "1234"));
        assert_eq!((back.items[1].kind, back.items[1].notes.as_str()), (ItemKind::Note, "multi\nline"));
    }
}

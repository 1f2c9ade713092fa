//! Browsers' saved-password exports.
//!
//! - Chrome, Chromium, Edge, Brave (`chrome://password-manager/settings` → Export):
//!   `name,url,username,password,note` (`note` since 2023; older exports lack it).
//! - Firefox (`about:logins` → Export Logins…): `"url","username","password",
//!   "httpRealm","formActionOrigin","guid","timeCreated","timeLastUsed",
//!   "timePasswordChanged"`, times in Unix milliseconds. Old versions called the
//!   first column `hostname`.
//!
//! Items are logins named after the site's host (Chrome's `name` when it has one).

use super::csv_input::CsvInput;
use super::{Import, ImportError, item_name, push_field, set_times, url_list};
use hush_vault::{Item, ItemKind};

/// Parses a Chrome/Chromium passwords CSV.
pub fn parse_chrome_csv(input: &[u8], now: i64) -> Result<Import, ImportError> {
    const FORMAT: &str = "Chrome passwords CSV";
    let csv = CsvInput::read(input)?;
    let url = csv.require(FORMAT, &["url"])?;
    let username = csv.require(FORMAT, &["username"])?;
    let password = csv.require(FORMAT, &["password"])?;
    let name = csv.column(&["name"]);
    let note = csv.column(&["note", "notes"]);

    let mut import = Import::default();
    for row in csv.rows() {
        let urls = url_list(row.at(url));
        let mut item = Item::new(ItemKind::Login, item_name(row.get(name), &urls), now);
        item.urls = urls;
        item.username = row.at(username).trim().to_owned();
        item.password = row.at(password).to_owned();
        item.notes = row.get(note).to_owned();
        import.items.push(item);
    }
    Ok(import)
}

/// Parses a Firefox logins CSV.
pub fn parse_firefox_csv(input: &[u8], now: i64) -> Result<Import, ImportError> {
    const FORMAT: &str = "Firefox logins CSV";
    let csv = CsvInput::read(input)?;
    let url = csv.require(FORMAT, &["url", "hostname"])?;
    let username = csv.require(FORMAT, &["username"])?;
    let password = csv.require(FORMAT, &["password"])?;
    let realm = csv.column(&["httprealm"]);
    let created = csv.column(&["timecreated"]);
    let changed = csv.column(&["timepasswordchanged"]);

    let mut import = Import::default();
    for row in csv.rows() {
        let urls = url_list(row.at(url));
        let mut item = Item::new(ItemKind::Login, item_name("", &urls), now);
        item.urls = urls;
        item.username = row.at(username).trim().to_owned();
        item.password = row.at(password).to_owned();
        let realm = row.get(realm).trim();
        if !realm.is_empty() {
            // HTTP authentication (a browser pop-up, not a form) for this realm.
            push_field(&mut item, "http realm", realm.to_owned(), false);
        }
        let created = millis(row.get(created));
        let changed = millis(row.get(changed));
        set_times(&mut item, created, changed);
        import.items.push(item);
    }
    Ok(import)
}

/// Firefox's times: Unix milliseconds as decimal text.
fn millis(value: &str) -> Option<i64> {
    value.trim().parse::<i64>().ok().filter(|ms| *ms > 0).map(|ms| ms / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &[u8] = include_bytes!("../tests/data/import/chrome.csv");
    const FIREFOX: &[u8] = include_bytes!("../tests/data/import/firefox.csv");

    #[test]
    fn import_chrome_csv() {
        let import = parse_chrome_csv(CHROME, 0).unwrap();
        let items: Vec<_> = import
            .items
            .iter()
            .map(|i| (i.name.as_str(), i.username.as_str(), i.password.as_str(), i.notes.as_str()))
            .collect();
        assert_eq!(
            items,
            [
                ("github.com", "octocat", "gh\"pw", ""),
                ("accounts.google.com", "me@gmail.com", "g,pw", "recovery phone: mine"),
                ("com.example.app", "app-user", "app-pw", ""),
            ]
        );
        assert_eq!(import.items[0].urls, ["https://github.com/login"]);
        assert_eq!(import.items[2].name, "com.example.app", "no name: the host of the android:// URL");
        assert!(import.warnings.is_empty());
        // Older exports have no note column.
        let old = parse_chrome_csv(b"name,url,username,password\nx,https://x.example,u,p\n", 0).unwrap();
        assert_eq!(old.items[0].password, "p");
    }

    #[test]
    fn import_firefox_csv() {
        let import = parse_firefox_csv(FIREFOX, 0).unwrap();
        let names: Vec<_> = import.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["github.com", "intranet.example", "firefoxaccounts"]);
        let gh = &import.items[0];
        assert_eq!((gh.username.as_str(), gh.password.as_str()), ("octocat", "ff,\"pw\""));
        assert_eq!(gh.created, 1_593_618_023);
        assert_eq!(gh.password_changed, 1_600_000_000);
        let basic = &import.items[1];
        assert_eq!(basic.field("http realm").unwrap().value, "Staff only");
    }

    #[test]
    fn import_browser_csv_rejects_malformed_input() {
        let err = parse_chrome_csv(b"name,url,username\nx,y,z\n", 0).unwrap_err().to_string();
        assert!(
            err.contains("no \"password\" column; is this really a Chrome passwords CSV export?"),
            "{err}"
        );
        let err = parse_chrome_csv(b"name,url,username,password\nx,y,z\n", 0).unwrap_err().to_string();
        assert!(err.starts_with("line 2 (record 1): 3 fields"), "{err}");
        let err = parse_firefox_csv(b"\"username\",\"password\"\n", 0).unwrap_err().to_string();
        assert!(err.contains("no \"url\" column"), "{err}");
        let err = parse_firefox_csv(b"url,username,password\n\"a\",\"b\",\"c\",\"d\"\n", 0)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("line 2 (record 1): 4 fields"), "{err}");
        assert!(matches!(parse_firefox_csv(b"", 0), Err(ImportError::Empty)));
    }
}
